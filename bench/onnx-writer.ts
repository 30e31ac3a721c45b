/**
 * Writes the reference CNN with Kiln's weights as an ONNX model (opset 13, dynamic batch) without Python:
 * a minimal protobuf encoder for the few ONNX messages this fixed graph needs. bench/run.ts uses it for
 * onnxruntime-node when PyTorch (and so torch.onnx.export) is unavailable.
 *
 * Graph: Conv → Relu → MaxPool → Conv → Relu → MaxPool → Flatten → Gemm(transB) → Relu → Gemm(transB),
 * input `input` [batch, 1, 28, 28], output `logits` [batch, 10] — what torch.onnx.export produces.
 *
 * usage: node --import tsx bench/onnx-writer.ts   (after kiln-weights.ts; writes bench/results/work/cnn-small.onnx)
 */
import fs from 'node:fs';
import { pathToFileURL } from 'node:url';
import { ONNX_FILE, WEIGHTS_FILE, emit, log, readSafetensorsF32, runMain } from './common.js';

/** Protobuf wire format: varint (0) and length-delimited (2) fields are all ONNX needs here. */
class Writer {
  private readonly parts: Uint8Array[] = [];

  private varint(value: number | bigint): void {
    let v = BigInt.asUintN(64, BigInt(value));
    const bytes: number[] = [];
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v !== 0n) byte |= 0x80;
      bytes.push(byte);
    } while (v !== 0n);
    this.parts.push(Uint8Array.from(bytes));
  }

  int(field: number, value: number): this {
    this.varint(field << 3);
    this.varint(value);
    return this;
  }

  bytes(field: number, data: Uint8Array): this {
    this.varint((field << 3) | 2);
    this.varint(data.length);
    this.parts.push(data);
    return this;
  }

  string(field: number, text: string): this {
    return this.bytes(field, new TextEncoder().encode(text));
  }

  message(field: number, inner: Writer): this {
    return this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    const total = this.parts.reduce((n, p) => n + p.length, 0);
    const out = new Uint8Array(total);
    let offset = 0;
    for (const p of this.parts) {
      out.set(p, offset);
      offset += p.length;
    }
    return out;
  }
}

const FLOAT = 1; // TensorProto.DataType.FLOAT
const ATTR_INT = 2;
const ATTR_INTS = 7;

function tensor(name: string, shape: number[], data: Float32Array): Writer {
  const w = new Writer();
  for (const d of shape) w.int(1, d); // dims
  w.int(2, FLOAT).string(8, name);
  return w.bytes(9, new Uint8Array(data.buffer, data.byteOffset, data.byteLength)); // raw_data, little-endian
}

function attrInts(name: string, values: number[]): Writer {
  const w = new Writer().string(1, name);
  for (const v of values) w.int(8, v);
  return w.int(20, ATTR_INTS);
}

function attrInt(name: string, value: number): Writer {
  return new Writer().string(1, name).int(3, value).int(20, ATTR_INT);
}

function node(op: string, inputs: string[], outputs: string[], name: string, attributes: Writer[] = []): Writer {
  const w = new Writer();
  for (const i of inputs) w.string(1, i);
  for (const o of outputs) w.string(2, o);
  w.string(3, name).string(4, op);
  for (const a of attributes) w.message(5, a);
  return w;
}

/** A float tensor's ValueInfo with a symbolic `batch` first dimension. */
function valueInfo(name: string, dims: number[]): Writer {
  const shape = new Writer().message(1, new Writer().string(2, 'batch'));
  for (const d of dims) shape.message(1, new Writer().int(1, d));
  const tensorType = new Writer().int(1, FLOAT).message(2, shape);
  return new Writer().string(1, name).message(2, new Writer().message(1, tensorType));
}

/** The ONNX bytes of the reference CNN with the weights of `file` (Kiln's safetensors state dict). */
export function referenceCnnOnnx(file = WEIGHTS_FILE): Uint8Array {
  const weights = readSafetensorsF32(file);
  const graph = new Writer();
  const nodes: Writer[] = [
    node('Conv', ['input', '0.weight', '0.bias'], ['conv1'], 'conv1', [attrInts('kernel_shape', [3, 3])]),
    node('Relu', ['conv1'], ['relu1'], 'relu1'),
    node('MaxPool', ['relu1'], ['pool1'], 'pool1', [attrInts('kernel_shape', [2, 2]), attrInts('strides', [2, 2])]),
    node('Conv', ['pool1', '3.weight', '3.bias'], ['conv2'], 'conv2', [attrInts('kernel_shape', [3, 3])]),
    node('Relu', ['conv2'], ['relu2'], 'relu2'),
    node('MaxPool', ['relu2'], ['pool2'], 'pool2', [attrInts('kernel_shape', [2, 2]), attrInts('strides', [2, 2])]),
    node('Flatten', ['pool2'], ['flat'], 'flatten', [attrInt('axis', 1)]),
    node('Gemm', ['flat', '7.weight', '7.bias'], ['fc1'], 'fc1', [attrInt('transB', 1)]),
    node('Relu', ['fc1'], ['relu3'], 'relu3'),
    node('Gemm', ['relu3', '9.weight', '9.bias'], ['logits'], 'fc2', [attrInt('transB', 1)]),
  ];
  for (const n of nodes) graph.message(1, n);
  graph.string(2, 'kiln_cnn_small');
  for (const name of ['0.weight', '0.bias', '3.weight', '3.bias', '7.weight', '7.bias', '9.weight', '9.bias']) {
    const w = weights.get(name);
    if (w === undefined) throw new Error(`${file} has no tensor ${name}`);
    graph.message(5, tensor(name, w.shape, w.data));
  }
  graph.message(11, valueInfo('input', [1, 28, 28]));
  graph.message(12, valueInfo('logits', [10]));
  return new Writer()
    .int(1, 7) // ir_version
    .string(2, 'kiln bench/onnx-writer.ts')
    .message(7, graph)
    .message(8, new Writer().string(1, '').int(2, 13)) // opset_import: default domain, opset 13
    .finish();
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runMain('onnx-writer', async () => {
    const bytes = referenceCnnOnnx();
    fs.writeFileSync(ONNX_FILE, bytes);
    log(`wrote ${ONNX_FILE} (${bytes.length} bytes) from ${WEIGHTS_FILE}`);
    emit({ onnx: ONNX_FILE, producer: 'bench/onnx-writer.ts', bytes: bytes.length });
  });
}
