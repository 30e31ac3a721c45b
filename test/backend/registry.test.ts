import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { BackendError, availableBackends, backendChoice, getBackend, setBackend } from '../../src/index.js';
import type { Backend } from '../../src/backend/backend.js';
import { jsBackend } from '../../src/backend/js/js-backend.js';
import { registerBackend } from '../../src/backend/registry.js';

const run = promisify(execFile);
const registryUrl = new URL('../../src/backend/registry.ts', import.meta.url).href;
const root = fileURLToPath(new URL('../..', import.meta.url));

interface ChildResult {
  name?: string;
  reason?: string;
  error?: string;
  message?: string;
}

/**
 * The backend is chosen once per process from KILN_BACKEND and cached, so the environment cases run in a
 * fresh Node process. There each case imports its own instance of the registry module (a distinct `?case=`
 * URL), so one process serves every case; each prints the choice or the error it got.
 */
async function childChoices(cases: readonly (string | undefined)[]): Promise<ChildResult[]> {
  const script = `
    const results = [];
    for (const [i, value] of ${JSON.stringify(cases.map((c) => c ?? null))}.entries()) {
      if (value === null) delete process.env.KILN_BACKEND;
      else process.env.KILN_BACKEND = value;
      const { backendChoice } = await import(${JSON.stringify(registryUrl)} + '?case=' + i);
      try {
        const c = backendChoice();
        results.push({ name: c.backend.name, reason: c.reason });
      } catch (e) {
        results.push({ error: e.name, message: e.message });
      }
    }
    console.log(JSON.stringify(results));`;
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.KILN_BACKEND;
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env, cwd: root });
  return JSON.parse(stdout.trim()) as ChildResult[];
}

describe('backend selection from the environment (fresh process)', () => {
  let unset: ChildResult, empty: ChildResult, js: ChildResult, bogus: ChildResult;
  before(async () => {
    [unset, empty, js, bogus] = (await childChoices([undefined, '', 'js', 'bogus'])) as [ChildResult, ChildResult, ChildResult, ChildResult];
  });

  test('without KILN_BACKEND the fastest available backend (native, when built) is chosen, with a reason', () => {
    assert.equal(unset.name, 'native');
    assert.match(unset.reason!, /^native \(.+, \d threads?\) is the fastest available backend$/);
  });

  test('an empty KILN_BACKEND counts as unset', () => {
    assert.deepEqual(empty, unset);
  });

  test('KILN_BACKEND=js selects js and says why', () => {
    assert.deepEqual(js, { name: 'js', reason: 'KILN_BACKEND=js' });
  });

  test('an unknown KILN_BACKEND is a BackendError listing the available backends', () => {
    assert.equal(bogus.error, 'BackendError');
    assert.match(bogus.message!, /KILN_BACKEND=bogus/);
    assert.match(bogus.message!, /available: js/);
  });
});

describe('backend registry (this process)', () => {
  test('getBackend returns the chosen backend (native by default, js when asked) and is stable', () => {
    assert.equal(getBackend().name, process.env.KILN_BACKEND || 'native');
    if (getBackend().name === 'js') assert.equal(getBackend(), jsBackend);
    assert.equal(getBackend(), getBackend());
  });

  test('backendChoice gives the backend with a reason', () => {
    const choice = backendChoice();
    assert.equal(choice.backend, getBackend());
    assert.equal(typeof choice.reason, 'string');
    assert.ok(choice.reason.length > 0);
  });

  test('availableBackends lists js', () => {
    assert.ok(availableBackends().includes('js'));
  });

  test('setBackend with an unknown name is a BackendError listing the available ones', () => {
    const before = getBackend();
    assert.throws(
      () => setBackend('nope'),
      (e: unknown) => e instanceof BackendError && /'nope'/.test(e.message) && /available: .*js/.test(e.message),
    );
    assert.equal(getBackend(), before, 'a failed setBackend changes nothing');
  });

  test('registerBackend and setBackend switch backends; setBackend records the reason', () => {
    const fake: Backend = { ...jsBackend, name: 'fake-for-test' };
    registerBackend(fake);
    assert.ok(availableBackends().includes('fake-for-test'));
    try {
      setBackend('fake-for-test');
      assert.equal(getBackend(), fake);
      assert.deepEqual(backendChoice(), { backend: fake, reason: 'set by setBackend()' });
    } finally {
      setBackend('js');
    }
    assert.equal(getBackend(), jsBackend);
  });
});
