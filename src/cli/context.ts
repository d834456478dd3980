/** What every command shares: exit codes, the runtime, output. */
import { userInfo } from 'node:os';
import { ConfigError, loadConfig } from '../config.js';
import { ApiError } from '../core/problems.js';
import { type Runtime, openRuntime } from '../runtime.js';
import type { Actor } from '../store/audit-repo.js';

/** Bad arguments or a refused request: one line on stderr, exit 2. */
export class UsageError extends Error {}

export async function withRuntime<T>(work: (runtime: Runtime) => Promise<T>): Promise<T> {
  const runtime = await openRuntime(loadConfig());
  try {
    return await work(runtime);
  } finally {
    await runtime.close();
  }
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function exitCodeFor(error: unknown): { code: number; message: string } {
  if (error instanceof UsageError || error instanceof ConfigError) return { code: 2, message: error.message };
  if (error instanceof ApiError) {
    if (error.status < 500) return { code: 2, message: `${error.code}: ${error.message}` };
    return { code: 1, message: `${error.code}: ${error.message}` };
  }
  return { code: 1, message: error instanceof Error ? error.message : String(error) };
}

/** `--x 5` → 5, refusing anything but a positive whole number. */
export function positiveInt(flag: string) {
  return (value: string): number => {
    if (!/^\d{1,10}$/.test(value) || Number(value) < 1) throw new UsageError(`${flag} must be a positive whole number, got "${value}"`);
    return Number(value);
  };
}

/** The audit actor for a command: the operator's login name. */
export function operator(): Actor {
  let name = 'cli';
  try {
    name = userInfo().username;
  } catch {
    // no passwd entry (containers): keep the generic name
  }
  return { type: 'operator', id: `cli:${name}`, ip: null };
}
