import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ArgumentError, Generator, ShapeError, conv2d, fromArray, mul, randn, sum, type Conv2dOptions } from '../../../src/index.js';
import { Conv2d } from '../../../src/nn/index.js';
import { assertClose, moments, values, f32Bound } from '../util.js';

describe('Conv2d', () => {
  test('a 2×2 kernel of ones with bias 1 sums each window and adds 1 (hand computed)', () => {
    const layer = new Conv2d(1, 1, 2);
    layer.loadStateDict({ weight: fromArray([[[[1, 1], [1, 1]]]]), bias: fromArray([1]) });
    const x = fromArray([[[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]]);
    const y = layer.forward(x);
    assert.deepEqual(y.shape, [1, 1, 2, 2]);
    assert.deepEqual(values(y), [13, 17, 25, 29]);
  });

  const settings = [
    { name: 'defaults', inC: 3, outC: 4, kernel: 3 as const, options: {} },
    { name: 'stride 2, padding 1', inC: 3, outC: 4, kernel: 3 as const, options: { stride: 2, padding: 1 } },
    { name: 'rectangular kernel, dilation 2', inC: 2, outC: 3, kernel: [3, 2] as const, options: { dilation: 2 } },
    { name: 'padding same', inC: 2, outC: 2, kernel: 3 as const, options: { padding: 'same' as const } },
    { name: 'groups 2, no bias', inC: 4, outC: 6, kernel: 1 as const, options: { groups: 2, bias: false } },
  ];
  for (const { name, inC, outC, kernel, options } of settings) {
    test(`equals the conv2d op with its own weight and bias (${name}), values and gradients`, () => {
      const generator = new Generator(5);
      const layer = new Conv2d(inC, outC, kernel, { ...options, generator });
      const [kh, kw] = typeof kernel === 'number' ? [kernel, kernel] : kernel;
      assert.deepEqual(layer.weight.shape, [outC, inC / (options.groups ?? 1), kh, kw]);
      assert.deepEqual(layer.kernelSize, [kh, kw]);
      assert.equal(layer.bias === null, options.bias === false);
      const x = randn([2, inC, 7, 8], { generator, requiresGrad: true });
      const y = layer.forward(x);
      const { stride, padding, dilation, groups } = options as Conv2dOptions;
      const opOptions: Conv2dOptions = { stride, padding, dilation, groups };
      const x2 = x.detach().setRequiresGrad();
      const want = conv2d(x2, layer.weight.detach(), layer.bias?.detach() ?? null, opOptions);
      assert.deepEqual(y.shape, want.shape);
      assert.deepEqual(values(y), values(want));
      const g = randn(y.shape, { generator });
      sum(mul(y, g)).backward();
      sum(mul(want, g)).backward();
      assertClose(x.grad!, x2.grad!, 0, 'input gradient');
      assert.ok(layer.weight.grad !== null && values(layer.weight.grad).some((v) => v !== 0));
    });
  }

  test('default init follows PyTorch: weight and bias within ±1/√(in/groups · kH · kW)', () => {
    const layer = new Conv2d(16, 64, 3, { generator: new Generator(1) });
    const bound = 1 / Math.sqrt(16 * 9);
    const w = moments(layer.weight.data);
    assert.ok(w.min >= -f32Bound(bound) && w.max <= f32Bound(bound) && w.max > 0.99 * bound, `weight range [${w.min}, ${w.max}]`);
    assert.ok(Math.abs(w.std / (bound / Math.sqrt(3)) - 1) < 0.02, `weight std ${w.std}`);
    const b = moments(layer.bias!.data);
    assert.ok(b.min >= -f32Bound(bound) && b.max <= f32Bound(bound) && b.max > 0.7 * bound, `bias range [${b.min}, ${b.max}]`);
    const grouped = new Conv2d(16, 8, 3, { groups: 4, generator: new Generator(1) });
    const gBound = 1 / Math.sqrt(4 * 9);
    const gw = moments(grouped.weight.data);
    assert.ok(gw.max <= f32Bound(gBound) && gw.max > 0.9 * gBound, `grouped weight max ${gw.max}, bound ${gBound}`);
  });

  test('describe lists the settings that differ from the defaults', () => {
    assert.equal(new Conv2d(1, 32, 3).describe(), 'Conv2d(1→32, kernel=3×3)');
    assert.equal(
      new Conv2d(4, 8, [3, 5], { stride: 2, padding: 'same', dilation: 2, groups: 2, bias: false }).describe(),
      'Conv2d(4→8, kernel=3×5, stride=2, padding="same", dilation=2, groups=2, bias=false)',
    );
  });

  test('bad settings are ArgumentErrors; a mismatched input is a ShapeError', () => {
    assert.throws(() => new Conv2d(3, 4, 3, { groups: 2 }), (error: unknown) => error instanceof ArgumentError && /groups=2 must divide both inChannels \(3\) and outChannels \(4\)/.test(error.message));
    assert.throws(() => new Conv2d(0, 4, 3), /channel counts must be positive integers/);
    assert.throws(() => new Conv2d(1, 1, 0), ArgumentError);
    assert.throws(() => new Conv2d(3, 4, 3).forward(randn([1, 2, 5, 5])), ShapeError);
  });
});
