import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const ROOT = new URL('..', import.meta.url).pathname;

test("the README's API example runs and prints a finite loss", () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const example = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(example, 'README has a ts example');
  // Run it against the sources, so the check does not depend on a fresh build.
  const source = example.replace("from 'kiln'", `from '${join(ROOT, 'src/index.ts')}'`);
  const dir = mkdtempSync(join(tmpdir(), 'kiln-readme-'));
  try {
    const file = join(dir, 'example.ts');
    writeFileSync(file, source);
    const run = spawnSync(process.execPath, ['--import', 'tsx', file], { encoding: 'utf8', cwd: ROOT });
    assert.equal(run.status, 0, run.stderr);
    const loss = Number.parseFloat(run.stdout.split(/\s/)[0]!);
    assert.ok(Number.isFinite(loss) && loss > 0, `loss printed: ${run.stdout}`);
    assert.match(run.stdout, /\[ 16, 1, 3, 3 \]/);
    assert.match(run.stdout, /shape=\[8\], dtype=int32/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
