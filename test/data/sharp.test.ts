import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

const INDEX = new URL('../../src/index.ts', import.meta.url).pathname;
const SHARP = new URL('../../src/data/sharp.ts', import.meta.url).pathname;

/** Whether libvips is mapped (per /proc/self/maps: Linux) into a child process after importing Kiln (and, with `decode`, using sharp). */
function vipsMapped(decode: boolean): boolean {
  const script = `
import { readFileSync } from 'node:fs';
await import(${JSON.stringify(INDEX)});
${decode ? `const { loadSharp } = await import(${JSON.stringify(SHARP)}); await (await loadSharp())({ create: { width: 2, height: 2, channels: 3, background: '#000' } }).png().toBuffer();` : ''}
process.stdout.write(String(/libvips/.test(readFileSync('/proc/self/maps', 'utf8'))));
`;
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout === 'true';
}

test('importing Kiln does not load sharp; the first image operation does', () => {
  assert.equal(vipsMapped(false), false);
  assert.equal(vipsMapped(true), true);
});
