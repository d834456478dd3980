// @ts-check
/**
 * `node bench/top-frames.js <file.cpuprofile> [n]`: the functions with the most
 * self time in a V8 CPU profile (from `npm run bench -- --profile <dir>`).
 */
import { readFileSync } from 'node:fs';

/** @typedef {{ id: number, callFrame: { functionName: string, url: string, lineNumber: number }, children?: number[] }} ProfileNode */

/** @param {string} file @param {number} n */
export function topFrames(file, n) {
  /** @type {{ nodes: ProfileNode[], samples: number[], timeDeltas: number[] }} */
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  /** @type {Map<number, number>} */
  const parent = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  /** @type {Map<string, number>} */
  const inclusive = new Map();
  /** @type {Map<string, number>} */
  const self = new Map();
  /** @type {Map<string, number>} */
  const modules = new Map();
  let busy = 0;
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id)?.callFrame;
    const dt = profile.timeDeltas[i] ?? 0;
    // Idle is the event loop waiting (or the process not scheduled on a shared machine): not work.
    if (!frame || frame.functionName === '(idle)') return;
    busy += dt;
    const url = frame.url.replace(/^file:\/\//, '');
    const inPackage = url.lastIndexOf('/node_modules/');
    const file = inPackage >= 0 ? url.slice(inPackage + 1) : url.replace(/^.*\/dist\//, 'dist/');
    const module = file.startsWith('node_modules/') ? /** @type {string} */ (file.split('/').slice(0, file.startsWith('node_modules/@') ? 3 : 2).join('/')) : file || frame.functionName;
    const name = `${frame.functionName || '(anonymous)'} ${file ? `${file}:${frame.lineNumber + 1}` : ''}`.trim();
    self.set(name, (self.get(name) ?? 0) + dt);
    modules.set(module, (modules.get(module) ?? 0) + dt);
    // Inclusive: every distinct project function (dist/) on the stack.
    const seen = new Set();
    for (let at = /** @type {number | undefined} */ (id); at !== undefined; at = parent.get(at)) {
      const f = byId.get(at)?.callFrame;
      if (!f || !f.url.includes('/dist/') || f.url.includes('/node_modules/')) continue;
      const label = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/dist\//, 'dist/')}:${f.lineNumber + 1}`;
      if (seen.has(label)) continue;
      seen.add(label);
      inclusive.set(label, (inclusive.get(label) ?? 0) + dt);
    }
  });
  const top = (/** @type {Map<string, number>} */ m) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => ({ name, share: us / busy }));
  return { functions: top(self), modules: top(modules), inclusive: top(inclusive), busyMs: busy / 1000 };
}

if (process.argv[2]) {
  const { functions, modules, inclusive, busyMs } = topFrames(process.argv[2], Number(process.argv[3] ?? 25));
  process.stdout.write(`busy ${busyMs.toFixed(0)} ms; self time by function:\n`);
  for (const { name, share } of functions) process.stdout.write(`${(share * 100).toFixed(1).padStart(5)}%  ${name}\n`);
  process.stdout.write('by file or package:\n');
  for (const { name, share } of modules) process.stdout.write(`${(share * 100).toFixed(1).padStart(5)}%  ${name}\n`);
  process.stdout.write('inclusive time of our own code (dist/):\n');
  for (const { name, share } of inclusive) process.stdout.write(`${(share * 100).toFixed(1).padStart(5)}%  ${name}\n`);
}
