import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { jsBackend } from '../../src/backend/js/js-backend.js';
import { profiledBackend, profileReport, profileScope, profiling, resetProfile } from '../../src/backend/profiler.js';

const INDEX = new URL('../../src/index.ts', import.meta.url).pathname;
const PROFILER = new URL('../../src/backend/profiler.ts', import.meta.url).pathname;

/** A few training-step ops (forward, backward, an Adam step) and one named scope, in a child process. */
const SCRIPT = `
import { Adam, conv2d, maxPool2d, randn, relu } from ${JSON.stringify(INDEX)};
import { profileScope } from ${JSON.stringify(PROFILER)};
const w = randn([4, 1, 3, 3]).setRequiresGrad();
const loss = maxPool2d(relu(conv2d(randn([2, 1, 8, 8]), w)), 2).sum();
profileScope('backward', () => loss.backward());
new Adam([w]).step();
`;

function runChild(env: Record<string, string>): { status: number | null; stderr: string } {
  const inherited = { ...process.env };
  delete inherited.KILN_PROFILE;
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SCRIPT], {
    encoding: 'utf8',
    env: { ...inherited, ...env },
  });
  return { status: result.status, stderr: result.stderr };
}

test('KILN_PROFILE=1 prints a table of the kernels and scopes a run used when it exits', () => {
  const { status, stderr } = runChild({ KILN_PROFILE: '1' });
  assert.equal(status, 0, stderr);
  assert.match(stderr, /Kiln profile \(KILN_PROFILE\): \d+ ms of wall time/);
  for (const row of ['conv2d', 'unary relu', 'maxPool2d', 'maxPool2dBackward', 'reluBackward', 'conv2dBackwardWeight', 'adamUpdate', 'backward']) {
    assert.match(stderr, new RegExp(`^${row} +\\d+ +[\\d.]+ +[\\d.]+ +[\\d.]+ %$`, 'm'), `a row for ${row} in:\n${stderr}`);
  }
});

test('without KILN_PROFILE nothing is printed', () => {
  for (const value of [undefined, '0', '']) {
    const { status, stderr } = runChild(value === undefined ? {} : { KILN_PROFILE: value });
    assert.equal(status, 0, stderr);
    assert.doesNotMatch(stderr, /Kiln profile/);
  }
});

test('a profiled backend computes what the backend computes, keeps its other members, and counts each call', () => {
  assert.equal(profiling, false, 'the test runs without KILN_PROFILE');
  resetProfile();
  const timed = profiledBackend(jsBackend);
  assert.equal(timed.name, 'js');
  const x = { data: Float64Array.from([-1, 2, -3]), offset: 0, strides: [1] };
  const got = new Float64Array(3);
  const want = new Float64Array(3);
  timed.unary('relu', x, [3], got);
  timed.unary('relu', x, [3], got);
  jsBackend.unary('relu', x, [3], want);
  assert.deepEqual(got, want);
  timed.binary('add', x, x, [3], got);
  const report = profileReport();
  assert.match(report, /^unary relu +2 /m);
  assert.match(report, /^binary add +1 /m);
  assert.throws(() => timed.reluBackward(x.data, x.data, new Float64Array(4)), /reluBackward/, 'errors pass through');
  assert.match(profileReport(), /^reluBackward +1 /m, 'a call that throws is still counted');
});

test('profileScope returns its function’s result and, without KILN_PROFILE, records nothing', () => {
  resetProfile();
  assert.equal(profileScope('scope', () => 42), 42);
  assert.match(profileReport(), /nothing was timed/);
});
