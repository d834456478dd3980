import { describe, expect, it } from 'vitest';
import { progress } from '../../src/cli/progress.js';

const sink = (isTTY: boolean) => {
  const chunks: string[] = [];
  return { chunks, stream: { isTTY, columns: 100, write: (s: string) => chunks.push(s) } };
};

describe('progress', () => {
  it('prints one plain line per item when not on a terminal', () => {
    const { chunks, stream } = sink(false);
    const p = progress(stream, 2);
    p.step('created a');
    p.step('failed b: boom', true);
    p.end();
    expect(chunks.join('')).toBe('created a\nfailed b: boom\n');
  });

  it('redraws a bar in place on a terminal and keeps failures on screen', () => {
    const { chunks, stream } = sink(true);
    const p = progress(stream, 4);
    p.step('created a');
    p.step('failed b: boom', true);
    p.end();
    const out = chunks.join('');
    expect(out).toContain(`\r\x1b[2K[${'#'.repeat(10)}${'.'.repeat(30)}] 1/4 created a`);
    expect(out).toContain('\r\x1b[2Kfailed b: boom\n');
    expect(out).toContain('] 2/4 ');
    expect(out.endsWith('\r\x1b[2K')).toBe(true);
  });
});
