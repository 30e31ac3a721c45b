/**
 * Fake quantization for quantization-aware training: values are rounded to the grid an integer model will
 * use and mapped straight back to float, so training sees the rounding and clamping error while staying in
 * float. The codes are computed exactly as the integer kernels compute them (float32 division, round half
 * to even, clamp), so a fake-quantized value equals dequantize(quantize(x)) bit for bit. The gradient is
 * the straight-through estimator of PyTorch: the output's gradient passes unchanged where the code was not
 * clamped and is 0 where it was.
 */
import { record } from '../autograd/graph.js';
import { roundHalfEven } from '../backend/js/int8.js';
import { ArgumentError, ShapeError } from '../errors.js';
import { allocateUninitialized, assertFloat } from '../tensor/dtype.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';

/** The float32 value of a scale, or an error naming the op when it cannot divide anything. */
function checkedScale(scale: number, what: string): number {
  const s = Math.fround(scale);
  if (!(s > 0) || !Number.isFinite(s)) {
    throw new ArgumentError(
      `${what} must be a positive, finite float32 number, got ${scale}${scale > 0 && Number.isFinite(scale) ? ' (0 once rounded to float32)' : ''}; ` +
        'derive it from the range to cover, e.g. (max − min) / 255',
    );
  }
  return s;
}

function checkCodeRange(qmin: number, qmax: number, zeroPoint: number, op: string): void {
  if (!Number.isSafeInteger(qmin) || !Number.isSafeInteger(qmax) || qmin >= qmax) {
    throw new ArgumentError(`${op}: qmin and qmax must be integers with qmin < qmax (e.g. 0 and 255 for u8), got ${qmin} and ${qmax}`);
  }
  if (!Number.isSafeInteger(zeroPoint) || zeroPoint < qmin || zeroPoint > qmax) {
    throw new ArgumentError(`${op}: the zero point must be an integer within [qmin, qmax] = [${qmin}, ${qmax}], got ${zeroPoint}`);
  }
}

/** g where the code was within [qmin, qmax] (`inRange` 1), else 0. */
function straightThrough(g: Tensor, inRange: Uint8Array): Tensor {
  const values = g.contiguousData();
  const dx = allocateUninitialized(g.dtype, g.size);
  for (let i = 0; i < dx.length; i++) dx[i] = inRange[i] === 1 ? values[i]! : 0;
  return new Tensor(dx, g.shape);
}

/**
 * Fake-quantizes `x` per tensor: `(clamp(roundHalfEven(fround(x / scale)) + zeroPoint, qmin, qmax) − zeroPoint) · scale`,
 * computed in float32 (a float64 input is rounded to float32 first, as the integer path would store it);
 * the output has the input's dtype. Backward passes the gradient where the unclamped code lies within
 * [qmin, qmax] and gives 0 elsewhere (the straight-through estimator). NaN stays NaN.
 * @param scale the quantization step, a positive float32 value
 * @param zeroPoint the code of 0.0, an integer within [qmin, qmax]
 * @throws ArgumentError for a non-float input, a scale that is not positive and finite in float32, or a code
 *   range or zero point that are not integers with qmin ≤ zeroPoint ≤ qmax and qmin < qmax
 */
export function fakeQuantize(x: Tensor, scale: number, zeroPoint: number, qmin: number, qmax: number): Tensor {
  assertFloat(x.dtype, 'fakeQuantize: input');
  const s = checkedScale(scale, 'fakeQuantize: scale');
  checkCodeRange(qmin, qmax, zeroPoint, 'fakeQuantize');
  const values = x.contiguousData();
  const out = allocateUninitialized(x.dtype, x.size);
  const inRange = new Uint8Array(x.size);
  for (let i = 0; i < out.length; i++) {
    const q = roundHalfEven(Math.fround(Math.fround(values[i]!) / s)) + zeroPoint;
    const clamped = q < qmin ? qmin : q > qmax ? qmax : q;
    out[i] = Math.fround((clamped - zeroPoint) * s);
    inRange[i] = q >= qmin && q <= qmax ? 1 : 0;
  }
  return record('fakeQuantize', [x], new Tensor(out, x.shape), (g) => [straightThrough(g, inRange)]);
}

/**
 * Fake-quantizes `w` with one scale per slice along axis 0 (output channels) and zero point 0:
 * `clamp(roundHalfEven(fround(w / scales[c])), qmin, qmax) · scales[c]` in float32, the dequantized values
 * of the symmetric int8 weights the integer kernels use (qmin −127, qmax 127). Backward as
 * {@link fakeQuantize}: the gradient passes where the unclamped code lies within [qmin, qmax].
 * @throws ShapeError when `w` is a scalar or `scales` does not hold one scale per slice of axis 0
 * @throws ArgumentError for a non-float input, a scale that is not positive and finite, or a code range
 *   that does not contain 0
 */
export function fakeQuantizePerChannel(w: Tensor, scales: Float32Array, qmin: number, qmax: number): Tensor {
  assertFloat(w.dtype, 'fakeQuantizePerChannel: input');
  if (w.ndim === 0 || scales.length !== w.shape[0]) {
    throw new ShapeError(
      `fakeQuantizePerChannel: expected one scale per slice of axis 0 of ${formatShape(w.shape)}` +
        `${w.ndim === 0 ? ' (a scalar has no axis 0; use fakeQuantize)' : ` (${w.shape[0]})`}, got ${scales.length}`,
    );
  }
  scales.forEach((scale, c) => checkedScale(scale, `fakeQuantizePerChannel: scales[${c}]`));
  if (qmin > 0 || qmax < 0) {
    throw new ArgumentError(`fakeQuantizePerChannel: the zero point is 0, so [qmin, qmax] must contain 0 (−127 and 127 for int8 weights), got [${qmin}, ${qmax}]`);
  }
  checkCodeRange(qmin, qmax, 0, 'fakeQuantizePerChannel');
  const values = w.contiguousData();
  const out = allocateUninitialized(w.dtype, w.size);
  const inRange = new Uint8Array(w.size);
  const per = scales.length === 0 ? 0 : w.size / scales.length;
  for (let c = 0; c < scales.length; c++) {
    const s = scales[c]!;
    for (let i = c * per; i < (c + 1) * per; i++) {
      const q = roundHalfEven(Math.fround(Math.fround(values[i]!) / s));
      out[i] = Math.fround((q < qmin ? qmin : q > qmax ? qmax : q) * s);
      inRange[i] = q >= qmin && q <= qmax ? 1 : 0;
    }
  }
  return record('fakeQuantizePerChannel', [w], new Tensor(out, w.shape), (g) => [straightThrough(g, inRange)]);
}
