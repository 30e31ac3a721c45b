import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ArgumentError, DTypeError, ShapeError, Tensor, fromArray, zeros } from '../../src/index.js';
import { Adam, SGD, type OptimizerStateDict } from '../../src/optim/index.js';
import { assertThrows } from '../ops/util.js';
import { OPTIMIZER_FACTORIES, backwardAt, makeParams, param, snapshot, train } from './util.js';

describe('Optimizer: param groups', () => {
  test('an iterable of tensors makes one group with the options', () => {
    const params = makeParams();
    const sgd = new SGD(new Set(params), { lr: 0.1, momentum: 0.5 });
    assert.equal(sgd.paramGroups.length, 1);
    assert.deepEqual(sgd.paramGroups[0]!.params, params);
    assert.equal(sgd.paramGroups[0]!.lr, 0.1);
    assert.equal(sgd.paramGroups[0]!.momentum, 0.5);
  });

  test('group specs override the options; what they leave out falls back to them', () => {
    const [a, b] = makeParams();
    const adam = new Adam([{ params: [a!], lr: 0.5, weightDecay: 0.1 }, { params: [b!], betas: [0.5, 0.6] }], { lr: 0.01, eps: 1e-6 });
    const [g0, g1] = adam.paramGroups;
    assert.deepEqual([g0!.lr, g0!.weightDecay, g0!.betas, g0!.eps], [0.5, 0.1, [0.9, 0.999], 1e-6]);
    assert.deepEqual([g1!.lr, g1!.weightDecay, g1!.betas, g1!.eps], [0.01, 0, [0.5, 0.6], 1e-6]);
    g0!.betas[0] = 0.1;
    assert.deepEqual(adam.defaults.betas, [0.9, 0.999], 'groups do not share the defaults’ tuples');
  });

  test('each group steps with its own lr and weight decay', () => {
    const [a, b] = [param([1, 2]), param([1, 2])];
    const sgd = new SGD([{ params: [a], lr: 0.5, weightDecay: 1 }, { params: [b] }], { lr: 0.1 });
    a.grad = fromArray([1, 1], { dtype: 'float64' });
    b.grad = fromArray([1, 1], { dtype: 'float64' });
    sgd.step();
    assert.deepEqual(a.toArray(), [1 - 0.5 * (1 + 1), 2 - 0.5 * (1 + 2)]);
    assert.deepEqual(b.toArray(), [1 - 0.1, 2 - 0.1]);
  });

  test('addParamGroup adds parameters with their own settings', () => {
    const [a, b] = makeParams();
    const sgd = new SGD([a!], { lr: 0.1 });
    sgd.addParamGroup({ params: [b!], lr: 0.01 });
    assert.equal(sgd.paramGroups.length, 2);
    assert.equal(sgd.paramGroups[1]!.lr, 0.01);
    assertThrows(() => sgd.addParamGroup({ params: [a!] }), ArgumentError, 'SGD param group 2', 'parameter 2 appears more than once');
  });

  test('construction errors name the parameter and what is wrong', () => {
    const [a, b] = makeParams();
    assertThrows(() => new SGD([], { lr: 0.1 }), ArgumentError, 'SGD', 'empty parameter list');
    assertThrows(() => new SGD([a!, { params: [b!] }] as never, { lr: 0.1 }), ArgumentError, 'mixes tensors and param groups');
    assertThrows(() => new SGD([a!, a!], { lr: 0.1 }), ArgumentError, 'parameter 1 appears more than once');
    assertThrows(() => new SGD([{ params: [a!] }, { params: [b!, a!] }], { lr: 0.1 }), ArgumentError, 'SGD param group 1', 'parameter 2');
    assertThrows(() => new SGD([{ params: [a!], weight_decay: 0.1 } as never], { lr: 0.1 }), ArgumentError, "unknown option 'weight_decay'", 'weightDecay');
    assertThrows(() => new SGD([{ params: [a!], lr: -1 }], { lr: 0.1 }), ArgumentError, 'SGD param group 0: lr must be a finite number ≥ 0, got -1');
    assertThrows(() => new SGD(42 as never, { lr: 0.1 }), ArgumentError, 'params must be an iterable');
    assertThrows(() => new SGD([a!, 3] as never, { lr: 0.1 }), ArgumentError, 'mixes');
    assertThrows(() => new SGD([fromArray([1, 2], { dtype: 'int32' })], { lr: 0.1 }), DTypeError, 'parameter 0 has dtype int32');
    assertThrows(() => new SGD([a!, a!.mul(2)], { lr: 0.1 }), ArgumentError, 'parameter 1 is not a leaf tensor', "'mul'");
  });

  test('a parameter that is a view of other storage is refused at construction', () => {
    const base = zeros([4, 3], { dtype: 'float64' });
    const [a] = makeParams();
    const transposed = base.transpose(0, 1).detach().setRequiresGrad();
    assertThrows(() => new SGD([a!, transposed], { lr: 0.1 }), ArgumentError, 'parameter 1 of shape [3,4] is a view', 'owns its storage');
    const row = new Tensor(base.data, [3], [1], 3).setRequiresGrad();
    assertThrows(() => new Adam([row]), ArgumentError, 'Adam param group 0: parameter 0', 'is a view');
    const prefix = new Tensor(base.data, [2, 3]).setRequiresGrad();
    assertThrows(() => new Adam([prefix]), ArgumentError, 'is a view');
  });
});

describe('Optimizer: step and zeroGrad', () => {
  test('parameters whose grad is null are skipped, state included', () => {
    const [a, b] = makeParams();
    const adam = new Adam([a!, b!], { lr: 0.1 });
    const before = b!.toArray();
    a!.grad = fromArray([1, 1, 1], { dtype: 'float64' });
    adam.step();
    assert.deepEqual(b!.toArray(), before);
    assert.notDeepEqual(a!.toArray(), [0.5, -1.5, 2]);
    const state = adam.stateDict().state;
    assert.equal(state[0]!.step, 1);
    assert.equal(state[1], null);
  });

  test('zeroGrad sets every grad to null', () => {
    const params = makeParams();
    const sgd = new SGD(params, { lr: 0.1 });
    backwardAt(params, 1);
    assert.ok(params.every((p) => p.grad !== null));
    sgd.zeroGrad();
    assert.ok(params.every((p) => p.grad === null));
  });

  test('the update happens in place and reuses the state buffers', () => {
    const params = makeParams();
    const storage = params.map((p) => p.data);
    const adam = new Adam(params, { lr: 0.1, amsgrad: true });
    train(adam, params, 0, 1);
    const buffers = Object.values((adam as unknown as { state: Map<Tensor, { buffers: object }> }).state.get(params[0]!)!.buffers);
    train(adam, params, 1, 3);
    assert.ok(params.every((p, i) => p.data === storage[i]));
    const after = Object.values((adam as unknown as { state: Map<Tensor, { buffers: object }> }).state.get(params[0]!)!.buffers);
    assert.equal(after.length, 3);
    after.forEach((buffer, i) => assert.equal(buffer, buffers[i]));
  });

  test('the gradient is read, never written (weight decay is added to a copy)', () => {
    for (const make of Object.values(OPTIMIZER_FACTORIES)) {
      const params = makeParams();
      const optimizer = make(params);
      backwardAt(params, 2);
      const grads = params.map((p) => Array.from(p.grad!.toTypedArray()));
      optimizer.step();
      optimizer.step();
      assert.deepEqual(params.map((p) => Array.from(p.grad!.toTypedArray())), grads);
    }
  });

  test('float32 parameters keep float32 state', () => {
    const params = makeParams('float32');
    const adam = new Adam(params, { lr: 0.1 });
    train(adam, params, 0, 2);
    const state = adam.stateDict().state[0]!;
    assert.ok(state.buffers.expAvg instanceof Float32Array);
    assert.ok(params[0]!.data instanceof Float32Array);
  });

  test('a grad of the wrong shape or dtype is reported at step', () => {
    const [a] = makeParams();
    const sgd = new SGD([a!], { lr: 0.1 });
    a!.grad = zeros([4], { dtype: 'float64' });
    assertThrows(() => sgd.step(), ShapeError, 'SGD.step: parameter 0 has shape [3] but its grad has shape [4]');
    a!.grad = zeros([3], { dtype: 'float32' });
    assertThrows(() => sgd.step(), DTypeError, 'parameter 0 is float64 but its grad is float32');
  });

  test('a non-finite gradient propagates into the parameter (the training loop’s NaN check stops it)', () => {
    const [a] = makeParams();
    const adam = new Adam([a!], { lr: 0.1 });
    a!.grad = fromArray([NaN, 1, 1], { dtype: 'float64' });
    adam.step();
    const values = a!.toTypedArray();
    assert.ok(Number.isNaN(values[0]));
    assert.ok(Number.isFinite(values[1]!) && Number.isFinite(values[2]!));
  });
});

describe('Optimizer: stateDict and loadStateDict', () => {
  for (const [name, make] of Object.entries(OPTIMIZER_FACTORIES)) {
    test(`${name}: 2 steps, save, load into a new optimizer, 2 steps = 4 steps, bit for bit`, () => {
      const reference = makeParams();
      train(make(reference), reference, 0, 4);

      const first = makeParams();
      const optimizer = make(first);
      train(optimizer, first, 0, 2);
      const saved = structuredClone(optimizer.stateDict());
      const resumed = first.map((p) => new Tensor(p.toTypedArray(), p.shape).setRequiresGrad());
      const restored = make(resumed);
      restored.loadStateDict(saved);
      train(restored, resumed, 2, 2);
      assert.deepEqual(snapshot(resumed), snapshot(reference));
    });
  }

  test('a state dict survives JSON with its buffers as number arrays', () => {
    const make = OPTIMIZER_FACTORIES['Adam amsgrad']!;
    const reference = makeParams();
    train(make(reference), reference, 0, 3);
    const params = makeParams();
    const adam = make(params);
    train(adam, params, 0, 1);
    const dict = adam.stateDict();
    const json = JSON.stringify(dict, (_, v: unknown) => (v instanceof Float64Array ? Array.from(v) : v));
    const restored = make(params);
    restored.loadStateDict(JSON.parse(json) as OptimizerStateDict);
    train(restored, params, 1, 2);
    assert.deepEqual(snapshot(params), snapshot(reference));
  });

  test('the state dict holds indices, hyperparameters and copies of the buffers', () => {
    const [a, b] = makeParams();
    const sgd = new SGD([{ params: [a!], lr: 0.5 }, { params: [b!] }], { lr: 0.1, momentum: 0.9 });
    train(sgd, [a!, b!], 0, 1);
    const dict = sgd.stateDict();
    assert.deepEqual(dict.paramGroups, [
      { params: [0], hyperparameters: { lr: 0.5, momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 0 } },
      { params: [1], hyperparameters: { lr: 0.1, momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 0 } },
    ]);
    assert.deepEqual(Object.keys(dict.state[1]!.buffers), ['momentumBuffer']);
    const copy = Array.from(dict.state[0]!.buffers.momentumBuffer!);
    train(sgd, [a!, b!], 1, 1);
    assert.deepEqual(Array.from(dict.state[0]!.buffers.momentumBuffer!), copy, 'later steps do not change a saved state');
  });

  test('loading restores the groups’ hyperparameters and converts buffers to the parameter dtype', () => {
    const params = makeParams();
    const adam = new Adam(params, { lr: 0.1 });
    train(adam, params, 0, 1);
    const dict = adam.stateDict();
    const params32 = makeParams('float32');
    const other = new Adam(params32, { lr: 0.5, betas: [0.5, 0.5] });
    other.loadStateDict(dict);
    assert.equal(other.paramGroups[0]!.lr, 0.1);
    assert.deepEqual(other.paramGroups[0]!.betas, [0.9, 0.999]);
    assert.ok(other.stateDict().state[0]!.buffers.expAvg instanceof Float32Array);
  });

  test('a state that does not fit is refused with a clear error, and nothing changes', () => {
    const params = makeParams();
    const adam = new Adam(params, { lr: 0.1 });
    train(adam, params, 0, 1);
    const good = adam.stateDict();
    const fresh = () => new Adam(makeParams(), { lr: 0.3 });
    assertThrows(() => new Adam([param([1, 2, 3])]).loadStateDict(good), ArgumentError, 'Adam.loadStateDict', 'param group 0 has 2 parameters in the state, 1 in this optimizer');
    const [a, b] = makeParams();
    assertThrows(() => new Adam([{ params: [a!] }, { params: [b!] }]).loadStateDict(good), ArgumentError, 'the state has 1 param groups, this optimizer has 2');
    const wrongSize = new Adam([param([1, 2]), param([1, 2, 3, 4], [2, 2])]);
    assertThrows(() => wrongSize.loadStateDict(good), ArgumentError, "parameter 0: buffer 'expAvg' has 3 elements, the parameter has 2");
    assertThrows(() => new SGD(makeParams(), { lr: 0.1 }).loadStateDict(good), ArgumentError, 'another kind of optimizer');
    assertThrows(() => fresh().loadStateDict({ ...good, state: [good.state[0]!] }), ArgumentError, 'the state has entries for 1 parameters, this optimizer has 2');
    assertThrows(
      () => fresh().loadStateDict({ ...good, state: [{ step: 1, buffers: { momentum: new Float64Array(3) } }, null] }),
      ArgumentError,
      "unknown buffer 'momentum'",
    );
    assertThrows(() => fresh().loadStateDict({ ...good, state: [{ step: -1, buffers: {} }, null] }), ArgumentError, 'step must be an integer ≥ 0, got -1');
    const badLr = structuredClone(good);
    badLr.paramGroups[0]!.hyperparameters.lr = -0.1;
    const target = fresh();
    assertThrows(() => target.loadStateDict(badLr), ArgumentError, 'param group 0: lr must be a finite number ≥ 0, got -0.1');
    assert.equal(target.paramGroups[0]!.lr, 0.3, 'a refused state leaves the optimizer as it was');
    assertThrows(() => target.loadStateDict(null as never), ArgumentError, 'expected { state: [...], paramGroups: [...] }');
  });
});
