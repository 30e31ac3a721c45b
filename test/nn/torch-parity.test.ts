/**
 * Kiln's layers against PyTorch (test/fixtures/torch/nn.json, made by make_torch_nn_fixtures.py): each
 * layer is built, its state loaded from the torch weights (same names, camelCase buffers), and the forward
 * output, the gradients of the input and of every parameter, and the updated buffers are compared — in
 * float64 with a 1e-9 relative tolerance, and in the default float32 with 1e-4. The fixture also holds
 * statistics of torch's default initialization, compared with Kiln's draws.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Generator, Tensor, fromArray, mul, sum } from '../../src/index.js';
import {
  BatchNorm2d, Conv2d, Embedding, LayerNorm, Linear, Module, ReLU, Residual, Sequential,
} from '../../src/nn/index.js';
import { assertClose, castModule, moments, f32Bound } from './util.js';

interface TensorJson {
  shape: number[];
  data: number[];
}

/** Constructor arguments of the case's layer, by Kiln's names. */
interface LayerParams {
  normalizedShape?: number[];
  eps?: number;
  numEmbeddings?: number;
  embeddingDim?: number;
  inFeatures?: number;
  outFeatures?: number;
  inChannels?: number;
  outChannels?: number;
  kernel?: number;
  stride?: number;
  padding?: number;
  numFeatures?: number;
  momentum?: number;
}

interface Case {
  name: string;
  layer: 'layerNorm' | 'embedding' | 'linear' | 'conv2d' | 'batchNorm2d' | 'residual';
  params: LayerParams;
  training: boolean;
  state: Record<string, TensorJson>;
  input: TensorJson;
  gradOutput: TensorJson;
  output: TensorJson;
  grads: Record<string, TensorJson>;
  stateAfter?: Record<string, TensorJson>;
}

interface DefaultInit {
  layer: 'linear' | 'conv2d';
  params: LayerParams;
  weightMaxAbs: number;
  weightStd: number;
  weightMean: number;
  biasMaxAbs: number;
}

interface Fixture {
  generator: string;
  torch: string;
  defaultInit: DefaultInit[];
  cases: Case[];
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/torch/nn.json', import.meta.url), 'utf8')) as Fixture;

/** The Kiln twin of a fixture's torch layer, with default (float32) parameters. */
function build(c: Case): Module {
  const p = c.params;
  switch (c.layer) {
    case 'layerNorm':
      return new LayerNorm(p.normalizedShape!, p.eps);
    case 'embedding':
      return new Embedding(p.numEmbeddings!, p.embeddingDim!);
    case 'linear':
      return new Linear(p.inFeatures!, p.outFeatures!);
    case 'conv2d':
      return new Conv2d(p.inChannels!, p.outChannels!, p.kernel!, { stride: p.stride, padding: p.padding });
    case 'batchNorm2d':
      return new BatchNorm2d(p.numFeatures!, { momentum: p.momentum, eps: p.eps });
    case 'residual':
      return new Residual(
        new Sequential(new Conv2d(2, 4, 3, { stride: 2, padding: 1 }), new BatchNorm2d(4), new ReLU(), new Conv2d(4, 4, 3, { padding: 1 })),
        new Sequential(new Conv2d(2, 4, 1, { stride: 2 })),
      );
  }
}

const tensor = (t: TensorJson, dtype: 'float32' | 'float64' | 'int32'): Tensor => fromArray(t.data, { shape: t.shape, dtype });

function runCase(c: Case, dtype: 'float32' | 'float64', tol: number): void {
  const layer = build(c);
  if (dtype === 'float64') castModule(layer, 'float64');
  layer.train(c.training);
  // strict: the torch state names (camelCased) must be exactly Kiln's.
  layer.loadStateDict(Object.fromEntries(Object.entries(c.state).map(([k, v]) => [k, tensor(v, 'float64')])));
  assert.ok(layer.namedParameters().every(([, p]) => p.dtype === dtype));
  const isIndex = c.layer === 'embedding';
  const input = tensor(c.input, isIndex ? 'int32' : dtype);
  if (!isIndex) input.requiresGrad = true;
  const output = layer.forward(input);
  assert.deepEqual(output.shape, c.output.shape, 'output shape');
  assert.equal(output.dtype, dtype);
  assertClose(output, c.output.data, tol, `${c.name}: output`);
  sum(mul(output, tensor(c.gradOutput, dtype))).backward();
  const grads = layer.namedParameters().map(([name, p]) => [name, p.grad] as const);
  assert.deepEqual(
    grads.map(([name]) => name),
    Object.keys(c.grads).filter((k) => k !== 'input'),
    'parameters with gradients',
  );
  for (const [name, grad] of grads) {
    assert.ok(grad !== null, `${name} has no gradient`);
    assertClose(grad, c.grads[name]!.data, tol, `${c.name}: gradient of ${name}`);
  }
  if (!isIndex) assertClose(input.grad!, c.grads['input']!.data, tol, `${c.name}: gradient of the input`);
  const state = layer.stateDict();
  for (const [name, after] of Object.entries(c.stateAfter ?? {})) assertClose(state[name]!, after.data, tol, `${c.name}: ${name} after the forward pass`);
}

describe(`nn layers against PyTorch ${fixture.torch} (${fixture.cases.length} cases)`, () => {
  test('the fixture holds every layer kind', () => {
    assert.deepEqual(
      new Set(fixture.cases.map((c) => c.layer)),
      new Set(['layerNorm', 'embedding', 'linear', 'conv2d', 'batchNorm2d', 'residual']),
    );
    assert.ok(fixture.cases.some((c) => c.layer === 'batchNorm2d' && c.training) && fixture.cases.some((c) => c.layer === 'batchNorm2d' && !c.training));
  });

  for (const c of fixture.cases) {
    test(`${c.name}: float64, rel 1e-9`, () => runCase(c, 'float64', 1e-9));
    test(`${c.name}: float32, rel 1e-4`, () => runCase(c, 'float32', 1e-4));
  }
});

describe('default initialization has PyTorch\'s distributions', () => {
  for (const init of fixture.defaultInit) {
    test(`${init.layer} ${JSON.stringify(init.params)}: weight and bias U(±1/√fanIn), as in torch`, () => {
      const p = init.params;
      const layer = init.layer === 'linear'
        ? new Linear(p.inFeatures!, p.outFeatures!, { generator: new Generator(0) })
        : new Conv2d(p.inChannels!, p.outChannels!, p.kernel!, { generator: new Generator(0) });
      const fanIn = init.layer === 'linear' ? p.inFeatures! : p.inChannels! * p.kernel! ** 2;
      const bound = 1 / Math.sqrt(fanIn);
      // torch's own draws confirm the bound: inside it, and reaching it.
      assert.ok(init.weightMaxAbs <= f32Bound(bound) && init.weightMaxAbs > 0.99 * bound, `torch weight max ${init.weightMaxAbs} vs bound ${bound}`);
      assert.ok(init.biasMaxAbs <= f32Bound(bound) && init.biasMaxAbs > 0.9 * bound, `torch bias max ${init.biasMaxAbs} vs bound ${bound}`);
      const w = moments(layer.weight.data);
      const b = moments(layer.bias!.data);
      const wMax = Math.max(-w.min, w.max);
      assert.ok(wMax <= f32Bound(bound) && wMax > 0.99 * bound, `Kiln weight max ${wMax} vs bound ${bound}`);
      assert.ok(Math.max(-b.min, b.max) <= f32Bound(bound), `Kiln bias range [${b.min}, ${b.max}] vs bound ${bound}`);
      assert.ok(Math.max(-b.min, b.max) > 0.9 * bound, `Kiln bias range [${b.min}, ${b.max}] should nearly reach ${bound}`);
      // Same spread as torch (both ≈ bound/√3); 3% covers the sampling noise of ≥ 9,000 draws.
      assert.ok(Math.abs(w.std / init.weightStd - 1) < 0.03, `Kiln weight std ${w.std} vs torch ${init.weightStd}`);
      assert.ok(Math.abs(w.std / (bound / Math.sqrt(3)) - 1) < 0.03, `Kiln weight std ${w.std} vs bound/√3`);
      assert.ok(Math.abs(w.mean) < 0.03 * bound && Math.abs(init.weightMean) < 0.03 * bound, 'weight means ≈ 0');
    });
  }
});
