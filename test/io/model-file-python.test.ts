import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { saveModel } from '../../src/io/model-file.js';
import { buildModel } from '../../src/nn/spec.js';
import type { Tensor } from '../../src/tensor/tensor.js';

const SCRIPT = new URL('../../scripts/check_safetensors.py', import.meta.url).pathname;

/**
 * The python3 interpreters here: Debian's and the first on PATH (which may have more packages). Python is
 * part of every machine this project runs on (node-gyp needs it), so finding none is a failure, not a skip.
 */
function pythons(): string[] {
  const which = spawnSync('sh', ['-c', 'command -v python3'], { encoding: 'utf8' });
  const found = [...new Set([...(existsSync('/usr/bin/python3') ? ['/usr/bin/python3'] : []), ...(which.status === 0 ? [which.stdout.trim()] : [])])];
  assert.ok(found.length > 0, "python3 is required for this test (apt-get install python3) but was not found");
  return found;
}

function python(args: string[], interpreter = pythons()[0]!): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(interpreter, [SCRIPT, ...args], { encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const dir = mkdtempSync(join(tmpdir(), 'kiln-python-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const model = buildModel({
  input: [2, 6, 6],
  layers: [{ type: 'conv2d', out: 3, kernel: 3 }, { type: 'batchNorm2d' }, { type: 'relu' }, { type: 'flatten' }, { type: 'linear', out: 4 }],
}, { seed: 3 });
const path = join(dir, 'model.kiln');

function bytesOf(t: Tensor): Uint8Array {
  const data = t.contiguousData();
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** What the Python reader must find: every tensor's dtype, shape, values and digest, and the format. */
function expectation(): Record<string, unknown> {
  const dtypes = { float32: 'F32', float64: 'F64', int32: 'I32', int8: 'I8', uint8: 'U8' } as const;
  return {
    tensors: Object.fromEntries(Object.entries(model.stateDict()).map(([name, t]) => [name, {
      dtype: dtypes[t.dtype], shape: [...t.shape], values: Array.from(t.toTypedArray()), sha256: createHash('sha256').update(bytesOf(t)).digest('hex'),
    }])),
    kiln: { format: 'kiln-model', version: 1 },
  };
}

describe('model files read by an independent Python reader', () => {
  test('the stdlib reader finds every tensor with its exact values and the Kiln metadata', async () => {
    await saveModel(path, { model, task: 'classification', labels: ['a', 'b', 'c', 'd'], input: { kind: 'tensor', shape: [2, 6, 6] } });
    const expect = join(dir, 'expect.json');
    writeFileSync(expect, JSON.stringify(expectation()));
    const { code, stdout, stderr } = python(['--stdlib', path, '--expect', expect]);
    assert.equal(code, 0, stderr);
    for (const name of Object.keys(model.stateDict())) assert.match(stdout, new RegExp(`^  ${name.replace('.', '\\.')}  `, 'm'));
    assert.match(stdout, /^ {2}0\.weight {2}F32 {2}\[3, 2, 3, 3\]$/m);
    assert.match(stdout, /kiln metadata: format=kiln-model version=1/);
    assert.match(stdout, /matches the expectation/);
  });

  test('the reader reports a changed value and a truncated file (exit 1)', () => {
    const wrong = expectation() as { tensors: Record<string, { values: number[]; sha256?: string }> };
    wrong.tensors['4.bias']!.values[1]! += 1e-6;
    delete wrong.tensors['4.bias']!.sha256;
    const expect = join(dir, 'wrong.json');
    writeFileSync(expect, JSON.stringify(wrong));
    const mismatch = python(['--stdlib', path, '--expect', expect]);
    assert.equal(mismatch.code, 1);
    assert.match(mismatch.stderr, /MISMATCH 4\.bias: values differ first at element 1/);

    const truncated = join(dir, 'truncated.kiln');
    writeFileSync(truncated, readFileSync(path).subarray(0, -3));
    const bad = python(['--stdlib', truncated]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /invalid \(stdlib reader\): the tensors cover \d+ bytes of a \d+-byte data section/);
  });

  test('the reference reader (Python safetensors) reads the file, or says it is not installed (exit 2)', () => {
    const expect = join(dir, 'expect.json');
    for (const interpreter of pythons()) {
      const { code, stdout, stderr } = python([path, '--expect', expect], interpreter);
      if (code === 2) {
        assert.match(stderr, /the Python package 'safetensors' is not installed .*use --stdlib/, interpreter);
      } else {
        assert.equal(code, 0, `${interpreter}: ${stderr}`);
        assert.match(stdout, /\(safetensors [\d.]+\)/);
        assert.match(stdout, /matches the expectation/);
        const truncated = python([join(dir, 'truncated.kiln')], interpreter);
        assert.equal(truncated.code, 1, truncated.stderr);
        assert.match(truncated.stderr, /invalid \(safetensors/);
      }
    }
  });
});
