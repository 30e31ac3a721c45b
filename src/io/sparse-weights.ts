/**
 * The optional sparse encoding of float32 weights in a model file: a weight `w` with many zeros is
 * stored as two safetensors tensors, `w.__mask` (U8, ⌈size/8⌉ bytes: bit i — byte i >> 3, bit i & 7,
 * least significant first — is 1 where value i is stored) and `w.__values` (F32, the stored values in
 * order), and its name is listed in the metadata's `sparse` field. The dense shape comes from the
 * architecture. A value is left out only when all its bits are zero (+0), so decoding restores every
 * weight bit for bit. At 75 % zeros a weight takes 0.28 of its dense bytes.
 */
import { Tensor } from '../tensor/tensor.js';

/** Suffix of the bitmask tensor of a sparse weight. */
export const SPARSE_MASK_SUFFIX = '.__mask';
/** Suffix of the values tensor of a sparse weight. */
export const SPARSE_VALUES_SUFFIX = '.__values';

type Fail = (problem: string) => never;

/**
 * The tensors to store, with every float32 tensor that is smaller sparse replaced by its mask and values,
 * and the names so replaced (sorted).
 */
export function encodeSparse(tensors: Record<string, Tensor>): { tensors: Record<string, Tensor>; sparse: string[] } {
  const out: Record<string, Tensor> = {};
  const sparse: string[] = [];
  for (const [name, tensor] of Object.entries(tensors)) {
    const encoded = tensor.dtype === 'float32' ? encodeOne(tensor) : null;
    if (encoded === null) {
      out[name] = tensor;
      continue;
    }
    out[name + SPARSE_MASK_SUFFIX] = encoded.mask;
    out[name + SPARSE_VALUES_SUFFIX] = encoded.values;
    sparse.push(name);
  }
  return { tensors: out, sparse: sparse.sort() };
}

function encodeOne(tensor: Tensor): { mask: Tensor; values: Tensor } | null {
  const data = tensor.contiguousData() as Float32Array;
  const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
  let stored = 0;
  for (let i = 0; i < bits.length; i++) if (bits[i] !== 0) stored++;
  if (Math.ceil(bits.length / 8) + 4 * stored >= 4 * bits.length) return null;
  const mask = new Uint8Array(Math.ceil(bits.length / 8));
  const values = new Float32Array(stored);
  let at = 0;
  for (let i = 0; i < bits.length; i++) {
    if (bits[i] === 0) continue;
    mask[i >> 3]! |= 1 << (i & 7);
    values[at++] = data[i]!;
  }
  return { mask: new Tensor(mask, [mask.length]), values: new Tensor(values, [stored]) };
}

/**
 * How many values the stored tensors stand for once dense: a mask byte counts for eight. Used to bound
 * the architecture a file may ask to build.
 */
export function denseValueCount(tensors: Record<string, Tensor>): number {
  let count = 0;
  for (const [name, t] of Object.entries(tensors)) count += name.endsWith(SPARSE_MASK_SUFFIX) ? 8 * t.size : t.size;
  return count;
}

/**
 * Replaces the mask and values of every sparse weight by the dense tensor, shaped like the model's own
 * (`expected`), checking each: the name must be a float32 tensor of the model, stored once, with a U8
 * mask of ⌈size/8⌉ bytes whose unused high bits are 0 and as many F32 values as the mask has bits set.
 */
export function decodeSparse(tensors: Record<string, Tensor>, sparse: readonly string[], expected: Record<string, Tensor>, fail: Fail): Record<string, Tensor> {
  const out = { ...tensors };
  for (const name of sparse) {
    const where = `sparse weight '${name}'`;
    const own = Object.hasOwn(expected, name) ? expected[name]! : undefined;
    if (own === undefined) fail(`${where} is not a weight of the architecture`);
    if (own.dtype !== 'float32') fail(`${where} is ${own.dtype} in the architecture; only float32 weights are stored sparse`);
    if (Object.hasOwn(out, name)) fail(`${where} is stored both dense and sparse`);
    const mask = Object.hasOwn(out, name + SPARSE_MASK_SUFFIX) ? out[name + SPARSE_MASK_SUFFIX]! : undefined;
    const values = Object.hasOwn(out, name + SPARSE_VALUES_SUFFIX) ? out[name + SPARSE_VALUES_SUFFIX]! : undefined;
    if (mask === undefined || values === undefined) fail(`${where} needs the tensors '${name}${SPARSE_MASK_SUFFIX}' and '${name}${SPARSE_VALUES_SUFFIX}'`);
    const size = own.size;
    const bytes = Math.ceil(size / 8);
    if (mask.dtype !== 'uint8' || mask.ndim !== 1 || mask.size !== bytes) {
      fail(`${where}: its mask must be U8 of shape [${bytes}] for ${size} values, found ${mask.dtype} [${mask.shape.join(',')}]`);
    }
    const bits = mask.contiguousData() as Uint8Array;
    if (size % 8 !== 0 && bits[bytes - 1]! >> size % 8 !== 0) fail(`${where}: its mask sets bits beyond the ${size} values`);
    let set = 0;
    for (let i = 0; i < bytes; i++) set += popcount(bits[i]!);
    if (values.dtype !== 'float32' || values.ndim !== 1 || values.size !== set) {
      fail(`${where}: its values must be F32 of shape [${set}] (the bits set in its mask), found ${values.dtype} [${values.shape.join(',')}]`);
    }
    const stored = values.contiguousData() as Float32Array;
    const dense = new Float32Array(size);
    let at = 0;
    for (let i = 0; i < size; i++) if ((bits[i >> 3]! >> (i & 7)) & 1) dense[i] = stored[at++]!;
    delete out[name + SPARSE_MASK_SUFFIX];
    delete out[name + SPARSE_VALUES_SUFFIX];
    out[name] = new Tensor(dense, [...own.shape]);
  }
  return out;
}

function popcount(byte: number): number {
  let n = 0;
  for (let b = byte; b; b &= b - 1) n++;
  return n;
}
