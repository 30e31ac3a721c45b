/**
 * Reference 2-D max and average pooling for the `js` backend, with the window and divisor rules of
 * PyTorch's max_pool2d / avg_pool2d (symmetric padding, no dilation).
 */
import type { FloatArray, Pool2dGeometry } from '../backend.js';

/**
 * Max pooling. Writes the maximum of each window to `out` and, in `argmax` unless it is null, the index of
 * that element within its input plane (h · inW + w); padding never wins. NaN propagates: like PyTorch, a
 * NaN beats every number and a later NaN beats an earlier one. A window lying wholly in the padding (which
 * PyTorch's pad ≤ kernel / 2 rule excludes) yields -Infinity and argmax -1.
 */
export function maxPool2d(g: Pool2dGeometry, x: FloatArray, out: FloatArray, argmax: Int32Array | null): void {
  checkPool('maxPool2d', g, { x: x.length, out: out.length, ...(argmax === null ? {} : { argmax: argmax.length }) });
  const { inH, inW, outH, outW, kernelH, kernelW, strideH, strideW, padH, padW } = g;
  const inPlane = inH * inW;
  const outPlane = outH * outW;
  for (let plane = 0; plane < g.batch * g.channels; plane++) {
    const xBase = plane * inPlane;
    let o = plane * outPlane;
    for (let oh = 0; oh < outH; oh++) {
      const [hStart, hEnd] = windowRange(oh, strideH, padH, kernelH, inH);
      for (let ow = 0; ow < outW; ow++) {
        const [wStart, wEnd] = windowRange(ow, strideW, padW, kernelW, inW);
        let best = -Infinity;
        // Starting at the first element in the window makes a window of -Infinity still point into it.
        let bestIndex = hStart < hEnd && wStart < wEnd ? hStart * inW + wStart : -1;
        for (let h = hStart; h < hEnd; h++) {
          for (let w = wStart; w < wEnd; w++) {
            const index = h * inW + w;
            const v = x[xBase + index];
            // `v !== v` is the NaN test; a NaN never compares greater, so it needs its own clause.
            if (v > best || v !== v) {
              best = v;
              bestIndex = index;
            }
          }
        }
        out[o] = best;
        if (argmax !== null) argmax[o] = bestIndex;
        o++;
      }
    }
  }
}

/** Routes each dy element to the input position recorded in argmax (skipping -1); overwrites dx. */
export function maxPool2dBackward(g: Pool2dGeometry, dy: FloatArray, argmax: Int32Array, dx: FloatArray): void {
  checkPool('maxPool2dBackward', g, { dx: dx.length, dy: dy.length, argmax: argmax.length });
  const inPlane = g.inH * g.inW;
  const outPlane = g.outH * g.outW;
  dx.fill(0, 0, g.batch * g.channels * inPlane);
  for (let plane = 0; plane < g.batch * g.channels; plane++) {
    const dxBase = plane * inPlane;
    for (let o = plane * outPlane; o < (plane + 1) * outPlane; o++) {
      const index = argmax[o];
      if (index >= 0) dx[dxBase + index] += dy[o];
    }
  }
}

/**
 * Average pooling. With `countIncludePad` the divisor is the window clipped to the padded input
 * (PyTorch's default); without it, the number of input elements the window covers.
 */
export function avgPool2d(g: Pool2dGeometry, countIncludePad: boolean, x: FloatArray, out: FloatArray): void {
  checkPool('avgPool2d', g, { x: x.length, out: out.length });
  const { inW, outH, outW } = g;
  const inPlane = g.inH * inW;
  const outPlane = outH * outW;
  for (let plane = 0; plane < g.batch * g.channels; plane++) {
    const xBase = plane * inPlane;
    let o = plane * outPlane;
    for (let oh = 0; oh < outH; oh++) {
      const [hStart, hEnd, hPadded] = windowRange(oh, g.strideH, g.padH, g.kernelH, g.inH);
      for (let ow = 0; ow < outW; ow++) {
        const [wStart, wEnd, wPadded] = windowRange(ow, g.strideW, g.padW, g.kernelW, inW);
        let sum = 0;
        for (let h = hStart; h < hEnd; h++) {
          const row = xBase + h * inW;
          for (let w = wStart; w < wEnd; w++) sum += x[row + w];
        }
        const count = (hEnd - hStart) * (wEnd - wStart);
        // Like PyTorch, a window that covers no input yields 0 rather than 0 / 0.
        out[o++] = count === 0 ? 0 : sum / (countIncludePad ? hPadded * wPadded : count);
      }
    }
  }
}

/** Gradient of {@link avgPool2d}: spreads each dy element evenly over its window's input elements; overwrites dx. */
export function avgPool2dBackward(g: Pool2dGeometry, countIncludePad: boolean, dy: FloatArray, dx: FloatArray): void {
  checkPool('avgPool2dBackward', g, { dx: dx.length, dy: dy.length });
  const { inW, outH, outW } = g;
  const inPlane = g.inH * inW;
  const outPlane = outH * outW;
  dx.fill(0, 0, g.batch * g.channels * inPlane);
  for (let plane = 0; plane < g.batch * g.channels; plane++) {
    const dxBase = plane * inPlane;
    let o = plane * outPlane;
    for (let oh = 0; oh < outH; oh++) {
      const [hStart, hEnd, hPadded] = windowRange(oh, g.strideH, g.padH, g.kernelH, g.inH);
      for (let ow = 0; ow < outW; ow++) {
        const [wStart, wEnd, wPadded] = windowRange(ow, g.strideW, g.padW, g.kernelW, inW);
        const share = dy[o++] / (countIncludePad ? hPadded * wPadded : (hEnd - hStart) * (wEnd - wStart));
        for (let h = hStart; h < hEnd; h++) {
          const row = dxBase + h * inW;
          for (let w = wStart; w < wEnd; w++) dx[row + w] += share;
        }
      }
    }
  }
}

/**
 * One axis of a pooling window: [start, end) clipped to the input (empty when the window misses it), and
 * the window's length clipped only to the padded input, as PyTorch's avg_pool2d counts it
 * (end = min(start + kernel, size + pad)).
 */
export function windowRange(o: number, stride: number, pad: number, kernel: number, size: number): [number, number, number] {
  const start = o * stride - pad;
  const paddedEnd = Math.min(start + kernel, size + pad);
  const clippedStart = Math.max(start, 0);
  return [clippedStart, Math.max(clippedStart, Math.min(paddedEnd, size)), paddedEnd - start];
}

const GEOMETRY_FIELDS = [
  'batch',
  'channels',
  'inH',
  'inW',
  'kernelH',
  'kernelW',
  'strideH',
  'strideW',
  'padH',
  'padW',
  'outH',
  'outW',
] as const satisfies readonly (keyof Pool2dGeometry)[];

/** Validates the geometry and that each named array holds at least its input- or output-shaped size. */
function checkPool(
  op: string,
  g: Pool2dGeometry,
  lengths: Partial<Record<'x' | 'dx' | 'out' | 'dy' | 'argmax', number>>,
): void {
  for (const name of GEOMETRY_FIELDS) {
    const value = g[name];
    if (!Number.isInteger(value) || value < 0) {
      throw new RangeError(`${op}: ${name} must be a non-negative integer, got ${value}`);
    }
  }
  for (const name of ['kernelH', 'kernelW', 'strideH', 'strideW'] as const) {
    if (g[name] < 1) throw new RangeError(`${op}: ${name} must be at least 1, got ${g[name]}`);
  }
  const planes = g.batch * g.channels;
  const inSize = planes * g.inH * g.inW;
  const outSize = planes * g.outH * g.outW;
  const need = { x: inSize, dx: inSize, out: outSize, dy: outSize, argmax: outSize };
  for (const [name, length] of Object.entries(lengths) as [keyof typeof need, number][]) {
    if (length < need[name]) throw new RangeError(`${op}: ${name} has ${length} elements, needs ${need[name]}`);
  }
}
