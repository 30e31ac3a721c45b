import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Conv2dGeometry, FloatArray } from '../../../src/backend/backend.js';
import { conv2d, conv2dBackwardInput, conv2dBackwardWeight, conv2dMaxPool } from '../../../src/backend/js/conv2d.js';
import { maxPool2d } from '../../../src/backend/js/pool2d.js';
import { assertClose, randomArray, seededRandom, tolerance } from '../../helpers/arrays.js';
import { convGeometry, type ConvConfig } from '../../helpers/kernel-cases.js';

/**
 * Calls visit(xIndex, wIndex, outIndex) for every product x · w that the convolution sums into an output,
 * straight from the definition: out[n][oc][oh][ow] += x[n][ic][ih][iw] · w[oc][ic - group start][kh][kw].
 */
function forEachTerm(g: Conv2dGeometry, visit: (xi: number, wi: number, oi: number) => void): void {
  const cinG = g.inChannels / g.groups;
  const coutG = g.outChannels / g.groups;
  for (let n = 0; n < g.batch; n++) {
    for (let oc = 0; oc < g.outChannels; oc++) {
      const group = Math.floor(oc / coutG);
      for (let oh = 0; oh < g.outH; oh++) {
        for (let ow = 0; ow < g.outW; ow++) {
          const oi = ((n * g.outChannels + oc) * g.outH + oh) * g.outW + ow;
          for (let icg = 0; icg < cinG; icg++) {
            const ic = group * cinG + icg;
            for (let kh = 0; kh < g.kernelH; kh++) {
              for (let kw = 0; kw < g.kernelW; kw++) {
                const ih = oh * g.strideH - g.padTop + kh * g.dilationH;
                const iw = ow * g.strideW - g.padLeft + kw * g.dilationW;
                if (ih < 0 || ih >= g.inH || iw < 0 || iw >= g.inW) continue;
                const xi = ((n * g.inChannels + ic) * g.inH + ih) * g.inW + iw;
                const wi = ((oc * cinG + icg) * g.kernelH + kh) * g.kernelW + kw;
                visit(xi, wi, oi);
              }
            }
          }
        }
      }
    }
  }
}

interface Reference {
  out: Float64Array;
  dx: Float64Array;
  dw: Float64Array;
}

/** Forward by the definition; the gradients scatter dy back through the same terms. */
function naiveConv(
  g: Conv2dGeometry,
  x: FloatArray,
  w: FloatArray,
  bias: FloatArray | null,
  dy: FloatArray,
): Reference {
  const out = new Float64Array(dy.length);
  const dx = new Float64Array(x.length);
  const dw = new Float64Array(w.length);
  if (bias !== null) {
    const plane = g.outH * g.outW;
    for (let i = 0; i < out.length; i++) out[i] = bias[Math.floor(i / plane) % g.outChannels];
  }
  forEachTerm(g, (xi, wi, oi) => {
    out[oi] += x[xi] * w[wi];
    dx[xi] += dy[oi] * w[wi];
    dw[wi] += dy[oi] * x[xi];
  });
  return { out, dx, dw };
}

const CONFIGS: ConvConfig[] = [
  {
    name: '3x3 stride 1 pad 1 with bias',
    inChannels: 3, outChannels: 4, inH: 7, inW: 7, kernel: [3, 3], pad: [1, 1, 1, 1], bias: true,
  },
  {
    name: '3x3 stride 2 pad 1, batch 3',
    batch: 3, inChannels: 3, outChannels: 5, inH: 13, inW: 9, kernel: [3, 3], stride: [2, 2], pad: [1, 1, 1, 1],
  },
  {
    name: '5x3 stride 3 pad 2',
    inChannels: 2, outChannels: 3, inH: 17, inW: 11, kernel: [5, 3], stride: [3, 3], pad: [2, 2, 2, 2], bias: true,
  },
  {
    name: '3x3 dilation 2 pad 2, batch 3',
    batch: 3, inChannels: 3, outChannels: 2, inH: 9, inW: 8,
    kernel: [3, 3], pad: [2, 2, 2, 2], dilation: [2, 2], bias: true,
  },
  {
    name: 'groups 2',
    batch: 3, inChannels: 4, outChannels: 6, inH: 6, inW: 5, kernel: [3, 3], pad: [1, 1, 1, 1], groups: 2, bias: true,
  },
  {
    name: 'depthwise',
    inChannels: 5, outChannels: 5, inH: 7, inW: 6, kernel: [3, 3], stride: [2, 2], pad: [1, 1, 1, 1], groups: 5,
  },
  {
    name: 'depthwise multiplier 2, batch 3',
    batch: 3, inChannels: 3, outChannels: 6, inH: 5, inW: 7, kernel: [5, 3], pad: [2, 2, 1, 1], groups: 3, bias: true,
  },
  { name: '1x1 direct, batch 3', batch: 3, inChannels: 5, outChannels: 7, inH: 5, inW: 3, kernel: [1, 1], bias: true },
  { name: '1x1 direct, groups 2', batch: 3, inChannels: 4, outChannels: 6, inH: 3, inW: 4, kernel: [1, 1], groups: 2 },
  { name: '1x1 stride 2', inChannels: 3, outChannels: 2, inH: 7, inW: 5, kernel: [1, 1], stride: [2, 2], bias: true },
  { name: '1x1 pad 1', inChannels: 2, outChannels: 3, inH: 3, inW: 3, kernel: [1, 1], pad: [1, 1, 1, 1] },
  // Output as large as the input but shifted: not the im2col-free case.
  {
    name: '1x1 padded top, cropped bottom',
    inChannels: 2, outChannels: 3, inH: 4, inW: 3, kernel: [1, 1], pad: [1, -1, 0, 0],
  },
  {
    name: '1x1 padded left, cropped right',
    inChannels: 2, outChannels: 3, inH: 3, inW: 4, kernel: [1, 1], pad: [0, 0, 1, -1],
  },
  {
    name: "asymmetric 'same' 2x2 (pad bottom/right)",
    batch: 3, inChannels: 2, outChannels: 3, inH: 5, inW: 6, kernel: [2, 2], pad: [0, 1, 0, 1], bias: true,
  },
  { name: "asymmetric 'same' 4x2", inChannels: 3, outChannels: 4, inH: 7, inW: 6, kernel: [4, 2], pad: [1, 2, 0, 1] },
  {
    name: 'asymmetric, heavy top/left',
    inChannels: 2, outChannels: 2, inH: 6, inW: 5, kernel: [3, 3], stride: [2, 1], pad: [2, 0, 2, 0],
  },
  {
    name: 'mixed strides, dilation and padding',
    batch: 3, inChannels: 4, outChannels: 4, inH: 13, inW: 17,
    kernel: [5, 3], stride: [2, 3], pad: [2, 1, 1, 2], dilation: [1, 2], groups: 2, bias: true,
  },
  {
    name: 'kernel larger than input',
    inChannels: 2, outChannels: 3, inH: 2, inW: 3, kernel: [5, 3], pad: [2, 2, 1, 1],
  },
  {
    name: 'stride leaves last rows unused',
    inChannels: 2, outChannels: 2, inH: 8, inW: 8, kernel: [3, 3], stride: [3, 2],
  },
  {
    name: 'deep: k > one GEMM k-block',
    inChannels: 33, outChannels: 9, inH: 6, inW: 5, kernel: [3, 3], pad: [1, 1, 1, 1], bias: true,
  },
];

for (const type of [Float32Array, Float64Array]) {
  for (const [index, c] of CONFIGS.entries()) {
    test(`conv2d forward and gradients match the definition: ${c.name} (${type.name})`, () => {
      const g = convGeometry(c);
      const rand = seededRandom(index + 1);
      const x = randomArray(type, g.batch * g.inChannels * g.inH * g.inW, rand);
      const w = randomArray(type, g.outChannels * (g.inChannels / g.groups) * g.kernelH * g.kernelW, rand);
      const bias = c.bias === true ? randomArray(type, g.outChannels, rand) : null;
      const dy = randomArray(type, g.batch * g.outChannels * g.outH * g.outW, rand);
      const want = naiveConv(g, x, w, bias, dy);
      // NaN-filled outputs prove each kernel overwrites rather than accumulates.
      const out = new type(dy.length).fill(NaN);
      const dx = new type(x.length).fill(NaN);
      const dw = new type(w.length).fill(NaN);
      conv2d(g, x, w, bias, out);
      conv2dBackwardInput(g, dy, w, dx);
      conv2dBackwardWeight(g, x, dy, dw);
      assertClose(out, want.out, tolerance(type), 'out');
      assertClose(dx, want.dx, tolerance(type), 'dx');
      assertClose(dw, want.dw, tolerance(type), 'dw');
    });
  }
}

/** The unary relu's rule on every element: NaN stays, −0 becomes +0. */
function reluOf(values: FloatArray): FloatArray {
  return values.map((v) => (v > 0 || Number.isNaN(v) ? v : 0));
}

for (const [index, c] of CONFIGS.entries()) {
  test(`conv2d with a fused ReLU is the ReLU of conv2d, and conv2dMaxPool its max pooling: ${c.name}`, () => {
    const g = convGeometry({ ...c, bias: true });
    const rand = seededRandom(100 + index);
    const x = randomArray(Float32Array, g.batch * g.inChannels * g.inH * g.inW, rand);
    const w = randomArray(Float32Array, g.outChannels * (g.inChannels / g.groups) * g.kernelH * g.kernelW, rand);
    const bias = randomArray(Float32Array, g.outChannels, rand);
    const size = g.batch * g.outChannels * g.outH * g.outW;
    const plain = new Float32Array(size);
    conv2d(g, x, w, bias, plain);
    const activated = new Float32Array(size).fill(NaN);
    conv2d(g, x, w, bias, activated, 'relu');
    assert.deepEqual(activated, reluOf(plain));
    // A 2×2 pooling where the output allows one, else a window covering it all.
    const [kernelH, kernelW] = g.outH >= 2 && g.outW >= 2 ? [2, 2] : [g.outH, g.outW];
    const pool = {
      batch: g.batch, channels: g.outChannels, inH: g.outH, inW: g.outW, kernelH, kernelW, strideH: kernelH, strideW: kernelW,
      padH: 0, padW: 0, outH: Math.floor(g.outH / kernelH), outW: Math.floor(g.outW / kernelW),
    };
    const pooledSize = g.batch * g.outChannels * pool.outH * pool.outW;
    const want = new Float32Array(pooledSize);
    maxPool2d(pool, activated, want, null);
    const got = new Float32Array(pooledSize).fill(NaN);
    conv2dMaxPool(g, pool, x, w, bias, got, 'relu');
    assert.deepEqual(got, want);
  });
}

test('conv2dMaxPool rejects a pooling that does not take the convolution output', () => {
  const g = convGeometry({ name: '', inChannels: 2, outChannels: 3, inH: 5, inW: 5, kernel: [3, 3] });
  const pool = { batch: 1, channels: 3, inH: 3, inW: 3, kernelH: 2, kernelW: 2, strideH: 2, strideW: 2, padH: 0, padW: 0, outH: 1, outW: 1 };
  const x = new Float32Array(50);
  const w = new Float32Array(54);
  conv2dMaxPool(g, pool, x, w, null, new Float32Array(3));
  assert.throws(() => conv2dMaxPool(g, { ...pool, channels: 2 }, x, w, null, new Float32Array(3)), /pooling takes \[1, 2, 3, 3\] but the convolution gives \[1, 3, 3, 3\]/);
  assert.throws(() => conv2dMaxPool(g, { ...pool, inW: 4 }, x, w, null, new Float32Array(3)), /conv2dMaxPool/);
});

test('conv2d rejects inconsistent convGeometry and short arrays', () => {
  const g = convGeometry({ name: '', inChannels: 4, outChannels: 6, inH: 3, inW: 3, kernel: [3, 3], groups: 2 });
  const x = new Float64Array(36);
  const w = new Float64Array(6 * 2 * 9);
  const out = new Float64Array(6);
  assert.throws(() => conv2d({ ...g, groups: 3 }, x, w, null, out), /groups \(3\) must divide/);
  assert.throws(() => conv2d({ ...g, strideH: 0 }, x, w, null, out), /strideH must be at least 1/);
  assert.throws(() => conv2d(g, x.subarray(1), w, null, out), /x-shaped array has 35 elements, needs 36/);
  assert.throws(() => conv2d(g, x, w, new Float64Array(5), out), /bias has 5 elements, needs 6/);
  assert.throws(() => conv2dBackwardWeight(g, x, out, w.subarray(1)), /w-shaped array/);
});

interface Tensor {
  shape: number[];
  data: number[];
}

interface TorchCase {
  name: string;
  params: {
    stride: [number, number];
    padding: [number, number] | 'same' | 'valid';
    dilation: [number, number];
    groups: number;
  };
  inputs: { x: Tensor; weight: Tensor; bias?: Tensor };
  gradOutput: Tensor;
  output: Tensor;
  grads: { x: Tensor; weight: Tensor };
}

test('conv2d matches the PyTorch fixtures', () => {
  const file = new URL('../../fixtures/torch/conv2d.json', import.meta.url);
  const { cases } = JSON.parse(readFileSync(file, 'utf8')) as { cases: TorchCase[] };
  assert.ok(cases.length > 0);
  for (const tc of cases) {
    const [batch, inChannels, inH, inW] = tc.inputs.x.shape;
    const [outChannels, , kernelH, kernelW] = tc.inputs.weight.shape;
    const [, , outH, outW] = tc.output.shape;
    const [dilationH, dilationW] = tc.params.dilation;
    let padTop = 0;
    let padLeft = 0;
    if (Array.isArray(tc.params.padding)) [padTop, padLeft] = tc.params.padding;
    // PyTorch's 'same' puts the odd pixel of padding at the bottom/right.
    else if (tc.params.padding === 'same') {
      padTop = Math.floor((dilationH * (kernelH - 1)) / 2);
      padLeft = Math.floor((dilationW * (kernelW - 1)) / 2);
    }
    const g: Conv2dGeometry = {
      batch,
      inChannels,
      inH,
      inW,
      outChannels,
      kernelH,
      kernelW,
      strideH: tc.params.stride[0],
      strideW: tc.params.stride[1],
      padTop,
      padLeft,
      dilationH,
      dilationW,
      groups: tc.params.groups,
      outH,
      outW,
    };
    const x = Float64Array.from(tc.inputs.x.data);
    const w = Float64Array.from(tc.inputs.weight.data);
    const bias = tc.inputs.bias ? Float64Array.from(tc.inputs.bias.data) : null;
    const dy = Float64Array.from(tc.gradOutput.data);
    const out = new Float64Array(tc.output.data.length);
    const dx = new Float64Array(x.length);
    const dw = new Float64Array(w.length);
    conv2d(g, x, w, bias, out);
    conv2dBackwardInput(g, dy, w, dx);
    conv2dBackwardWeight(g, x, dy, dw);
    assertClose(out, tc.output.data, 1e-10, `${tc.name}: out`);
    assertClose(dx, tc.grads.x.data, 1e-10, `${tc.name}: dx`);
    assertClose(dw, tc.grads.weight.data, 1e-10, `${tc.name}: dw`);
  }
});
