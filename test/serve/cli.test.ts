import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { saveModel } from '../../src/io/model-file.js';
import { buildModel } from '../../src/nn/spec.js';
import { kiln } from '../cli/run-kiln.js';

const MAIN = new URL('../../src/cli/main.ts', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'kiln-serve-cli-'));
const modelPath = join(dir, 'tiny.kiln');
after(() => rmSync(dir, { recursive: true, force: true }));

describe('kiln serve (command line)', () => {
  before(async () => {
    const model = buildModel({ input: [2], layers: [{ type: 'linear', out: 2 }] }, { seed: 1 });
    await saveModel(modelPath, { model, task: 'classification', labels: ['no', 'yes'], input: { kind: 'tensor', shape: [2] } });
  });

  test('prints its URL and model, answers, and on SIGTERM finishes the request in flight and exits 0', async () => {
    // A minute's wait: the request is still queued when the signal comes, so only a graceful shutdown answers it.
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'serve', modelPath, '--port', '0', '--max-wait-ms', '60000'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      while (!/listening on (http:\S+),/.test(stdout)) {
        assert.equal(child.exitCode, null, `kiln serve exited early: ${stderr}`);
        await sleep(20);
      }
      const url = /listening on (http:\S+),/.exec(stdout)![1]!;
      assert.match(stdout, /tiny\.kiln: classification of float32 tensors 2 into 2 classes, 6 parameters; loaded in \d+ ms/);
      const pending = fetch(`${url}/v1/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"input": [1, 2]}' });
      while (!/^kiln_batch_queue_samples 1$/m.test(await (await fetch(`${url}/metrics`)).text())) await sleep(10);
      child.kill('SIGTERM');
      const response = await pending;
      assert.equal(response.status, 200);
      const { predictions } = (await response.json()) as { predictions: { label: string }[] };
      assert.equal(predictions.length, 1);
      assert.equal(await exited, 0, stderr);
      assert.match(stdout, /SIGTERM: answering the requests in flight/);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  test('a missing model or a bad option: one clear line and exit code 1', () => {
    const missing = kiln(['serve', join(dir, 'nope.kiln'), '--port', '0']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^kiln: ModelFormatError: model .*nope\.kiln: cannot read the file/);
    const badValue = kiln(['serve', modelPath, '--max-batch', '0']);
    assert.equal(badValue.code, 1);
    assert.match(badValue.stderr, /maxBatch \(--max-batch\) must be a whole number from 1 to 65536, got 0/);
  });
});
