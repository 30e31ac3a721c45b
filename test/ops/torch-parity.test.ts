/**
 * Forward outputs and gradients of Kiln's ops against PyTorch references (test/fixtures/torch/*.json,
 * computed in float64): once in float64 with a 1e-9 relative tolerance, once with the inputs cast to
 * float32 with 1e-4.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import {
  avgPool2d,
  batchNorm,
  conv2d,
  fromArray,
  globalAvgPool2d,
  matmul,
  maxPool2d,
  softmaxCrossEntropy,
  type Conv2dOptions,
  type Reduction,
  type Size2d,
  type Tensor,
} from '../../src/index.js';

interface TensorJson {
  shape: number[];
  data: number[];
}

interface Case {
  name: string;
  params: Record<string, unknown>;
  inputs: Record<string, TensorJson>;
  gradOutput?: TensorJson;
  output: TensorJson;
  grads: Record<string, TensorJson>;
  state?: Record<string, TensorJson>;
  runningMeanAfter?: TensorJson;
  runningVarAfter?: TensorJson;
}

interface Fixture {
  generator: string;
  torch: string;
  cases: Case[];
}

type FloatType = 'float32' | 'float64';

/** What a runner returns: the op's output and any state it updated, by the fixture field holding it. */
interface RunResult {
  output: Tensor;
  state?: Record<string, Tensor>;
}

/** Runs one case's op on Kiln tensors built from its inputs (and state) in the given dtype. */
type Runner = (inputs: Record<string, Tensor>, c: Case, dtype: FloatType) => RunResult;

const FIXTURES = new URL('../fixtures/torch/', import.meta.url);

/** Integer-valued inputs that carry no gradient (class targets). */
const INTEGER_INPUTS = new Set(['target']);

function tensorOf(t: TensorJson, dtype: FloatType | 'int32', requiresGrad = false): Tensor {
  return fromArray(t.data, { dtype, shape: t.shape, requiresGrad });
}

function size2d(value: unknown): Size2d {
  assert.ok(Array.isArray(value) && value.length === 2, `expected [h, w], got ${JSON.stringify(value)}`);
  return [value[0] as number, value[1] as number];
}

const RUNNERS: Record<string, Runner> = {
  'matmul.json': (inputs) => ({ output: matmul(inputs.a!, inputs.b!) }),

  'conv2d.json': (inputs, c) => {
    const { stride, padding, dilation, groups } = c.params;
    const options: Conv2dOptions = {
      stride: size2d(stride),
      padding: padding === 'same' || padding === 'valid' ? padding : size2d(padding),
      dilation: size2d(dilation),
      groups: groups as number,
    };
    return { output: conv2d(inputs.x!, inputs.weight!, inputs.bias ?? null, options) };
  },

  'pool2d.json': (inputs, c) => {
    const { op, kernelSize, stride, padding, countIncludePad } = c.params;
    switch (op) {
      case 'maxPool2d':
        return { output: maxPool2d(inputs.x!, size2d(kernelSize), { stride: size2d(stride), padding: size2d(padding) }) };
      case 'avgPool2d':
        assert.equal(typeof countIncludePad, 'boolean', 'avgPool2d cases give countIncludePad');
        return {
          output: avgPool2d(inputs.x!, size2d(kernelSize), {
            stride: size2d(stride),
            padding: size2d(padding),
            countIncludePad: countIncludePad as boolean,
          }),
        };
      case 'globalAvgPool2d':
        return { output: globalAvgPool2d(inputs.x!) };
      default:
        return assert.fail(`unknown pool op ${String(op)}`);
    }
  },

  'batchnorm.json': (inputs, c, dtype) => {
    assert.ok(c.state, 'batchnorm cases hold the initial running statistics in "state"');
    const runningMean = tensorOf(c.state.runningMean!, dtype);
    const runningVar = tensorOf(c.state.runningVar!, dtype);
    const output = batchNorm(inputs.x!, runningMean, runningVar, inputs.weight!, inputs.bias!, {
      training: c.params.training as boolean,
      momentum: c.params.momentum as number,
      eps: c.params.eps as number,
    });
    return { output, state: { runningMeanAfter: runningMean, runningVarAfter: runningVar } };
  },

  'softmax_cross_entropy.json': (inputs, c) => ({
    output: softmaxCrossEntropy(inputs.logits!, inputs.target!, c.params.reduction as Reduction),
  }),
};

/** Asserts |a − b| ≤ tol · max(1, |b|) elementwise, with shapes equal. */
function assertMatches(actual: Tensor | null, expected: TensorJson, tol: number, what: string): void {
  assert.ok(actual !== null, `${what}: missing`);
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  const got = actual.toTypedArray();
  let worst = 0;
  let worstAt = -1;
  for (let i = 0; i < expected.data.length; i++) {
    const b = expected.data[i]!;
    const excess = Math.abs(got[i]! - b) / Math.max(1, Math.abs(b));
    if (!(excess <= worst)) {
      worst = excess;
      worstAt = i;
    }
  }
  assert.ok(
    worst <= tol,
    `${what}: element ${worstAt} is ${got[worstAt]}, PyTorch has ${expected.data[worstAt]} (relative error ${worst} > ${tol})`,
  );
}

/** Runs a case in `dtype` and compares output, gradients and updated state with PyTorch's. */
function checkCase(file: string, c: Case, dtype: FloatType, tol: number): void {
  const inputs: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(c.inputs)) {
    inputs[name] = INTEGER_INPUTS.has(name) ? tensorOf(t, 'int32') : tensorOf(t, dtype, name in c.grads);
  }
  const { output, state } = RUNNERS[file]!(inputs, c, dtype);
  assert.equal(output.dtype, dtype, `${dtype}: output dtype`);
  assertMatches(output, c.output, tol, `${dtype} output`);

  if (c.gradOutput) output.backward(tensorOf(c.gradOutput, dtype));
  else output.backward();
  const differentiable = Object.keys(c.inputs).filter((name) => !INTEGER_INPUTS.has(name));
  assert.deepEqual(Object.keys(c.grads).sort(), differentiable.sort(), 'the fixture has a gradient for every float input');
  for (const [name, expected] of Object.entries(c.grads)) {
    assert.equal(inputs[name]!.grad?.dtype, dtype, `${dtype} grad of ${name}: dtype`);
    assertMatches(inputs[name]!.grad, expected, tol, `${dtype} grad of ${name}`);
  }

  for (const field of ['runningMeanAfter', 'runningVarAfter'] as const) {
    const expected = c[field];
    if (expected === undefined) continue;
    assert.ok(state?.[field], `${field}: the runner must report it`);
    assertMatches(state[field], expected, tol, `${dtype} ${field}`);
  }
}

// The op fixtures, one runner each. The directory also holds fixtures of other families (optimizers, …),
// which their own suites check.
const files = Object.keys(RUNNERS).sort();

test('every op fixture file exists', () => {
  const present = new Set(readdirSync(FIXTURES));
  for (const file of files) assert.ok(present.has(file), `test/fixtures/torch/${file} is missing`);
});

for (const file of files) {
  const fixture = JSON.parse(readFileSync(new URL(file, FIXTURES), 'utf8')) as Fixture;
  describe(file, () => {
    test('holds cases with unique names', () => {
      assert.ok(fixture.cases.length > 0);
      assert.equal(new Set(fixture.cases.map((c) => c.name)).size, fixture.cases.length);
    });
    for (const c of fixture.cases) {
      test(c.name, () => {
        checkCase(file, c, 'float64', 1e-9);
        checkCase(file, c, 'float32', 1e-4);
      });
    }
  });
}
