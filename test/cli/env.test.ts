import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kiln } from './run-kiln.js';

test('kiln env reports versions, CPU features and the chosen backend', () => {
  const { code, stdout } = kiln(['env']);
  assert.equal(code, 0);
  for (const label of ['Kiln', 'Node.js', 'CPU', 'Cores', 'AVX2 + FMA', 'AVX-512', 'VNNI (int8)', 'AMX (int8)', 'Backend in use', 'Int8 kernels']) {
    assert.match(stdout, new RegExp(`^${label.replace(/[+()]/g, '\\$&')}\\s`, 'm'));
  }
  assert.match(stdout, /Backend in use\s+(js|native) — \S/);
  assert.match(stdout, /^Int8 kernels\s+(js reference|avx512-vnni|avx512|avx2|scalar)$/m);
});

test('kiln env --json is machine-readable and names the reason for the backend', () => {
  const { code, stdout } = kiln(['env', '--json'], { KILN_BACKEND: 'js' });
  assert.equal(code, 0);
  const report = JSON.parse(stdout) as { node: string; backend: string; reason: string; int8Kernels: string; backends: string[]; cpu: { cores: number } };
  assert.equal(report.int8Kernels, 'js reference');
  assert.equal(report.node, process.version);
  assert.equal(report.backend, 'js');
  assert.equal(report.reason, 'KILN_BACKEND=js');
  assert.ok(report.backends.includes('js'));
  assert.ok(report.cpu.cores >= 1);
});

test('an unknown backend is one clear line and a non-zero exit', () => {
  const { code, stderr } = kiln(['env'], { KILN_BACKEND: 'bogus' });
  assert.equal(code, 1);
  assert.equal(stderr.trim().split('\n').length, 1);
  assert.match(stderr, /^kiln: BackendError: KILN_BACKEND=bogus is not an available backend; available: js/);
});

test('--verbose adds the stack trace', () => {
  const { code, stderr } = kiln(['env', '--verbose'], { KILN_BACKEND: 'bogus' });
  assert.equal(code, 1);
  assert.match(stderr, /BackendError[\s\S]*\n\s+at /);
});

test('an unknown command exits non-zero with help', () => {
  const { code, stderr } = kiln(['frobnicate']);
  assert.notEqual(code, 0);
  assert.match(stderr, /unknown command 'frobnicate'/);
});
