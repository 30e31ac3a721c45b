import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Generator, ShapeError, Tensor, fromArray, mul, noGrad, ones, randn, sum, zeros } from '../../src/index.js';
import {
  BatchNorm1d, Dropout, Embedding, Linear, Module, Parameter, ReLU, Residual, Sequential, buildModel,
} from '../../src/nn/index.js';
import { assertClose, values } from './util.js';

/** Linear → ReLU → Residual(body: Linear → BatchNorm1d, shortcut: Linear without bias). */
function net(seed: number): Sequential {
  const generator = new Generator(seed);
  return new Sequential(
    new Linear(4, 3, { generator }),
    new ReLU(),
    new Residual(
      new Sequential(new Linear(3, 3, { generator }), new BatchNorm1d(3)),
      new Sequential(new Linear(3, 3, { bias: false, generator })),
    ),
  );
}

const NET_PARAMETERS = [
  '0.weight', '0.bias',
  '2.body.0.weight', '2.body.0.bias',
  '2.body.1.weight', '2.body.1.bias',
  '2.shortcut.0.weight',
];

/** A hand-written module: an own parameter, an array of children, a child assigned in the constructor. */
class Towers extends Module {
  readonly towers = [new Linear(2, 2), new Linear(2, 2, { bias: false })];
  readonly head: Linear;
  readonly scale = new Parameter(ones([1]));

  constructor() {
    super();
    this.head = new Linear(2, 1);
  }

  forward(x: Tensor): Tensor {
    return mul(this.head.forward(this.towers[1]!.forward(this.towers[0]!.forward(x))), this.scale);
  }
}

/** Puts the model in training mode and runs one batch so batch norm's running statistics move off 0/1. */
function warmUp(model: Module, seed: number): void {
  model.train();
  noGrad(() => model.forward(randn([8, 4], { generator: new Generator(seed) })));
}

describe('Module: parameters and buffers', () => {
  test('namedParameters gives dotted names in declaration order, through Sequential and Residual', () => {
    const model = net(0);
    assert.deepEqual(model.namedParameters().map(([name]) => name), NET_PARAMETERS);
    const body = (model.layers[2] as Residual).body as Sequential;
    assert.equal(model.namedParameters()[2]![1], (body.layers[0] as Linear).weight);
    assert.deepEqual(model.parameters(), model.namedParameters().map(([, p]) => p));
    assert.ok(model.parameters().every((p) => p instanceof Parameter && p.requiresGrad));
  });

  test('a module\'s own parameters come before its children\'s; arrays of modules are named by index', () => {
    const model = new Towers();
    assert.deepEqual(model.namedParameters().map(([name]) => name), [
      'scale', 'towers.0.weight', 'towers.0.bias', 'towers.1.weight', 'head.weight', 'head.bias',
    ]);
    assert.deepEqual(model.namedChildren().map(([name]) => name), ['towers.0', 'towers.1', 'head']);
    assert.deepEqual(model.namedModules().map(([name]) => name), ['', 'towers.0', 'towers.1', 'head']);
  });

  test('batch-norm running statistics are buffers: in stateDict, not in parameters()', () => {
    const model = net(0);
    const state = model.stateDict();
    assert.deepEqual(Object.keys(state), [
      '0.weight', '0.bias',
      '2.body.0.weight', '2.body.0.bias',
      '2.body.1.weight', '2.body.1.bias', '2.body.1.runningMean', '2.body.1.runningVar',
      '2.shortcut.0.weight',
    ]);
    assert.deepEqual(model.namedBuffers().map(([name]) => name), ['2.body.1.runningMean', '2.body.1.runningVar']);
    const bn = ((model.layers[2] as Residual).body as Sequential).layers[1] as BatchNorm1d;
    assert.ok(!model.parameters().includes(bn.runningMean as Parameter));
    assert.ok(!(bn.runningMean instanceof Parameter));
    assert.equal(bn.runningMean.requiresGrad, false);
    // stateDict hands out the module's own tensors, not copies.
    assert.equal(state['2.body.1.runningMean'], bn.runningMean);
  });

  test('parameterCount sums the sizes of all parameters (buffers excluded)', () => {
    // 4·3+3 + 3·3+3 + 3+3 + 3·3
    assert.equal(net(0).parameterCount(), 42);
    assert.equal(new Towers().parameterCount(), 1 + 6 + 4 + 3);
    assert.equal(new ReLU().parameterCount(), 0);
  });

  test('a parameter shared by two layers (tied weights) is listed and counted once', () => {
    const shared = new Linear(3, 3);
    const model = new Sequential(shared, new ReLU(), shared);
    assert.deepEqual(model.namedParameters().map(([name]) => name), ['0.weight', '0.bias']);
    assert.equal(model.parameterCount(), 12);
    // stateDict keeps every name, as PyTorch does, so a saved file loads back into the same structure.
    assert.deepEqual(Object.keys(model.stateDict()), ['0.weight', '0.bias', '2.weight', '2.bias']);
  });
});

describe('Module: training mode', () => {
  test('eval() and train() reach every descendant and return the module', () => {
    const model = net(0);
    assert.ok(model.namedModules().every(([, m]) => m.training));
    assert.equal(model.eval(), model);
    assert.equal(model.namedModules().length, 9);
    assert.ok(model.namedModules().every(([, m]) => !m.training));
    assert.equal(model.train(), model);
    assert.ok(model.namedModules().every(([, m]) => m.training));
    model.train(false);
    assert.ok(model.namedModules().every(([, m]) => !m.training));
  });

  test('the mode changes what layers do: dropout is the identity only in eval', () => {
    const model = new Sequential(new Sequential(new Dropout(0.5, { generator: new Generator(1) })));
    const x = ones([200]);
    assert.ok(values(model.forward(x)).some((v) => v === 0));
    model.eval();
    assert.deepEqual(values(model.forward(x)), values(x));
  });
});

describe('Module: stateDict and loadStateDict', () => {
  test('loading one model\'s state into a fresh model with another seed gives identical outputs', () => {
    const source = net(1);
    warmUp(source, 5);
    const target = net(2);
    const x = randn([5, 4], { generator: new Generator(9) });
    source.eval();
    target.eval();
    const before = values(target.forward(x));
    const expected = values(source.forward(x));
    assert.notDeepEqual(before, expected);
    target.loadStateDict(source.stateDict());
    assert.deepEqual(values(target.forward(x)), expected);
    // Buffers are loaded too (they decide the eval output above), and copied: the two models stay separate.
    const bn = (m: Sequential): BatchNorm1d => ((m.layers[2] as Residual).body as Sequential).layers[1] as BatchNorm1d;
    assert.deepEqual(values(bn(target).runningVar), values(bn(source).runningVar));
    assert.notEqual(bn(target).runningVar, bn(source).runningVar);
    bn(source).runningVar.data[0] = 123;
    assert.notEqual(bn(target).runningVar.data[0], 123);
  });

  test('loadStateDict copies in place: the Parameter objects stay, so an optimizer holding them keeps working', () => {
    const model = net(3);
    const held = model.parameters();
    const storage = held.map((p) => p.data);
    const state = net(4).stateDict();
    model.loadStateDict(state);
    model.parameters().forEach((p, i) => assert.equal(p, held[i]));
    // Not even the storage is swapped: whoever kept a typed array of a parameter sees the new values.
    held.forEach((p, i) => assert.equal(p.data, storage[i]));
    assert.deepEqual(values(held[0]!), values(state['0.weight']!));
    // An "optimizer" step on the held parameters changes the model's output.
    model.eval();
    const x = randn([2, 4], { generator: new Generator(0) });
    const loss = (): Tensor => sum(model.forward(x));
    const before = loss().item();
    loss().backward();
    noGrad(() => {
      for (const p of held) for (let i = 0; i < p.size; i++) p.data[i]! -= 0.1 * p.grad!.data[i]!;
    });
    assert.ok(loss().item() < before - 1e-3, `loss ${loss().item()} should drop below ${before}`);
  });

  test('strict mode lists missing, unexpected and wrongly shaped keys together in one ShapeError', () => {
    const model = new Linear(3, 2);
    const weightBefore = values(model.weight);
    assert.throws(
      () => model.loadStateDict({ weight: zeros([3, 2]), extra: zeros([1]) }),
      (error: unknown) => {
        assert.ok(error instanceof ShapeError);
        assert.match(error.message, /missing keys: bias/);
        assert.match(error.message, /unexpected keys: extra/);
        assert.match(error.message, /weight: expected \[2,3\], got \[3,2\]/);
        return true;
      },
    );
    assert.deepEqual(values(model.weight), weightBefore, 'nothing is copied when the state does not fit');
  });

  test('strict: false ignores missing and unexpected keys but still rejects a wrong shape', () => {
    const model = new Linear(3, 2);
    const biasBefore = values(model.bias!);
    const weight = fromArray([[1, 2, 3], [4, 5, 6]]);
    model.loadStateDict({ weight, extra: zeros([7]) }, { strict: false });
    assert.deepEqual(values(model.weight), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(values(model.bias!), biasBefore);
    assert.throws(() => model.loadStateDict({ bias: zeros([3]) }, { strict: false }), (error: unknown) => {
      assert.ok(error instanceof ShapeError);
      assert.match(error.message, /bias: expected \[2\], got \[3\]/);
      assert.doesNotMatch(error.message, /missing|unexpected/);
      return true;
    });
    assert.throws(() => model.loadStateDict({ weight }), /missing keys: bias/);
  });

  test('loadStateDict reads non-contiguous tensors by their logical layout', () => {
    const model = new Linear(2, 3, { bias: false });
    const transposed = fromArray([[1, 2, 3], [4, 5, 6]]).transpose();
    assert.ok(!transposed.isContiguous());
    model.loadStateDict({ weight: transposed });
    assert.deepEqual(values(model.weight), [1, 4, 2, 5, 3, 6]);
  });
});

describe('Module: description', () => {
  test('toString draws the module tree, one indented line per module', () => {
    assert.equal(
      net(0).toString(),
      [
        'Sequential',
        '  (0): Linear(in=4, out=3)',
        '  (1): ReLU',
        '  (2): Residual',
        '    (body): Sequential',
        '      (0): Linear(in=3, out=3)',
        '      (1): BatchNorm1d(3, eps=0.00001, momentum=0.1)',
        '    (shortcut): Sequential',
        '      (0): Linear(in=3, out=3, bias=false)',
      ].join('\n'),
    );
    assert.equal(String(new ReLU()), 'ReLU');
  });

  test('inputDType follows the first child down to the leaf: int32 for an embedding, float32 otherwise', () => {
    assert.equal(net(0).inputDType(), 'float32');
    assert.equal(new Sequential(new Embedding(5, 2), new Linear(2, 2)).inputDType(), 'int32');
    assert.equal(new Sequential().inputDType(), 'float32');
  });

  test('summary() renders the table of the layers', () => {
    const text = new Sequential(new Linear(4, 3), new ReLU()).summary([4]);
    assert.match(text, /0 +Linear\(in=4, out=3\) +\[-1,3\] +15/);
    assert.match(text, /15 trainable parameters/);
  });
});

test('stateDict of a model after gradients: values only, no gradient state', () => {
  const model = new Linear(2, 2);
  sum(model.forward(ones([1, 2]))).backward();
  const state = model.stateDict();
  assertClose(state['weight']!, values(model.weight));
  assert.ok(model.weight.grad !== null);
});

test('two arrays of modules keep distinct names, so neither vanishes from stateDict', () => {
  class EncoderDecoder extends Module {
    readonly encoders = [new Linear(2, 2)];
    readonly decoders = [new Linear(2, 2)];
    forward(x: Tensor): Tensor {
      return this.decoders[0]!.forward(this.encoders[0]!.forward(x));
    }
  }
  const model = new EncoderDecoder();
  assert.deepEqual(Object.keys(model.stateDict()), ['encoders.0.weight', 'encoders.0.bias', 'decoders.0.weight', 'decoders.0.bias']);
  const copy = new EncoderDecoder();
  copy.loadStateDict(model.stateDict());
  assert.deepEqual(values(copy.encoders[0]!.weight), values(model.encoders[0]!.weight));
  assert.deepEqual(values(copy.decoders[0]!.weight), values(model.decoders[0]!.weight));
});

test('zeroGrad clears every parameter gradient', () => {
  const model = buildModel({ input: [3], layers: [{ type: 'linear', out: 2 }, { type: 'relu' }, { type: 'linear', out: 1 }] }, { seed: 0 });
  model.forward(fromArray([[1, 2, 3]])).sum().backward();
  assert.ok(model.parameters().every((p) => p.grad !== null));
  model.zeroGrad();
  assert.ok(model.parameters().every((p) => p.grad === null));
});
