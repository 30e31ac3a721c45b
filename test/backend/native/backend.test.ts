import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { availableBackends, backendChoice, conv2d, fromArray, getBackend, matmul, setBackend } from '../../../src/index.js';
import { jsBackend } from '../../../src/backend/js/js-backend.js';
import { nativeBackend } from './native.js';

const native = nativeBackend();
const run = promisify(execFile);
const indexUrl = new URL('../../../src/index.ts', import.meta.url).href;
const root = fileURLToPath(new URL('../../..', import.meta.url));

interface ChildReport {
  name?: string;
  reason?: string;
  product?: number[][];
  error?: string;
  message?: string;
}

/**
 * Runs a few ops in a fresh Node process with the given environment (KILN_* variables start unset) and
 * returns what it chose, what it computed, and its stderr.
 */
async function child(env: Record<string, string>): Promise<{ report: ChildReport; stderr: string }> {
  const script = `
    const kiln = await import(${JSON.stringify(indexUrl)});
    let report;
    try {
      const a = kiln.fromArray([[1, 2], [3, 4]]);
      const product = kiln.matmul(a, a);
      kiln.conv2d(kiln.ones([1, 1, 4, 4]), kiln.ones([2, 1, 3, 3]));
      kiln.matmul(product, a);
      const choice = kiln.backendChoice();
      kiln.backendChoice();
      report = { name: choice.backend.name, reason: choice.reason, product: product.toArray() };
    } catch (e) {
      report = { error: e.name, message: e.message };
    }
    console.log(JSON.stringify(report));`;
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const name of ['KILN_BACKEND', 'KILN_NATIVE_PATH', 'KILN_THREADS']) if (!(name in env)) delete childEnv[name];
  const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    env: childEnv,
    cwd: root,
  });
  return { report: JSON.parse(stdout.trim()) as ChildReport, stderr };
}

const warningCount = (stderr: string): number => stderr.split('KILN_NATIVE_UNAVAILABLE').length - 1;

describe('choosing the native backend (fresh processes)', () => {
  type Result = Awaited<ReturnType<typeof child>>;
  let byDefault: Result, missing: Result, missingRequested: Result, notAnAddon: Result;
  let oneThread: Result, badThreads: Result, explicitJs: Result;
  before(async () => {
    [byDefault, missing, missingRequested, notAnAddon, oneThread, badThreads, explicitJs] = await Promise.all([
      child({}),
      child({ KILN_NATIVE_PATH: '/nonexistent/kiln_native.node' }),
      child({ KILN_NATIVE_PATH: '/nonexistent/kiln_native.node', KILN_BACKEND: 'native' }),
      child({ KILN_NATIVE_PATH: fileURLToPath(new URL('../../../package.json', import.meta.url)) }),
      child({ KILN_THREADS: '1' }),
      child({ KILN_THREADS: 'lots', KILN_BACKEND: 'native' }),
      child({ KILN_BACKEND: 'js', KILN_NATIVE_PATH: '/nonexistent/kiln_native.node' }),
    ]);
  });

  test('by default the native backend runs, and the reason names its kernels and threads', () => {
    assert.equal(byDefault.report.name, 'native');
    assert.match(
      byDefault.report.reason!,
      /^native \((AVX-512|AVX2 \+ FMA|portable scalar kernels), \d+ threads?\) is the fastest available backend$/,
    );
    assert.deepEqual(byDefault.report.product, [[7, 10], [15, 22]]);
    assert.equal(warningCount(byDefault.stderr), 0);
  });

  test('without the addon, ops run on js with one warning that says why', () => {
    assert.equal(missing.report.name, 'js');
    assert.deepEqual(missing.report.product, [[7, 10], [15, 22]]);
    assert.match(missing.report.reason!, /the native backend is unavailable: the addon is not built/);
    assert.match(missing.report.reason!, /KILN_NATIVE_PATH=\/nonexistent\/kiln_native\.node/);
    assert.equal(warningCount(missing.stderr), 1, missing.stderr);
    assert.match(missing.stderr, /KilnWarning: Kiln runs on the much slower js reference backend because the native backend is unavailable: .*npm install/);
  });

  test('KILN_BACKEND=native without the addon is a BackendError that says why', () => {
    assert.equal(missingRequested.report.error, 'BackendError');
    assert.match(missingRequested.report.message!, /^KILN_BACKEND=native, but the native backend is unavailable: the addon is not built/);
    assert.match(missingRequested.report.message!, /npm install/);
  });

  test('a file that is not an addon is reported with the loader error', () => {
    assert.equal(notAnAddon.report.name, 'js');
    assert.match(notAnAddon.report.reason!, /the addon at KILN_NATIVE_PATH=.*package\.json does not load: /);
    assert.equal(warningCount(notAnAddon.stderr), 1);
  });

  test('KILN_THREADS sets the thread count and must be a positive integer', () => {
    assert.match(oneThread.report.reason!, /, 1 thread\) is the fastest/);
    assert.equal(badThreads.report.error, 'BackendError');
    assert.match(badThreads.report.message!, /KILN_THREADS=lots is not a thread count/);
  });

  test('KILN_BACKEND=js chooses js without looking for the addon or warning', () => {
    assert.deepEqual(explicitJs.report, { name: 'js', reason: 'KILN_BACKEND=js', product: [[7, 10], [15, 22]] });
    assert.equal(warningCount(explicitJs.stderr), 0);
  });
});

describe('the native backend in this process', () => {
  test('is registered and can be selected; float32 ops then run on it', () => {
    assert.ok(availableBackends().includes('native'));
    const previous = backendChoice().backend.name;
    try {
      setBackend('native');
      assert.equal(getBackend(), native);
      const a = fromArray([[1, 2, 3], [4, 5, 6]]);
      assert.equal(a.dtype, 'float32');
      assert.deepEqual(matmul(a, a.transpose()).toArray(), [[14, 32], [32, 77]]);
      const y = conv2d(fromArray([[[[1, 2], [3, 4]]]]), fromArray([[[[1, 1], [1, 1]]]]));
      assert.deepEqual(y.toArray(), [[[[10]]]]);
      setBackend('js');
      assert.equal(getBackend(), jsBackend);
    } finally {
      setBackend(previous);
    }
  });

  test('reports its kernel family and threads, and rejects unknown families', () => {
    assert.ok(native.isas.includes('scalar'));
    assert.ok(native.isas.includes(native.isa));
    assert.ok(native.threads >= 1);
    assert.throws(() => native.setIsa('sse9'), /instruction set 'sse9' is not available here; available: scalar/);
    assert.throws(() => native.setThreads(0), /threads must be between 1 and 1024/);
  });
});
