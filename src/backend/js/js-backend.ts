import type { Backend } from '../backend.js';
import { adamUpdate } from './adam.js';
import { conv2d, conv2dBackwardInput, conv2dBackwardWeight, conv2dMaxPool } from './conv2d.js';
import { binary, copy, reluBackward, unary, where } from './elementwise.js';
import { gemm, gemmPacked, packB } from './gemm.js';
import { dequantize, packInt8, qavgPool2d, qconv2d, qconv2dMaxPool, qgemm, qmaxPool2d, quantize } from './int8.js';
import { avgPool2d, avgPool2dBackward, maxPool2d, maxPool2dBackward } from './pool2d.js';
import { reduce } from './reduce.js';
import { packSparse, sparseGemm } from './sparse.js';

/** The plain TypeScript backend: runs everywhere, and is the oracle every other backend is tested against. */
export const jsBackend: Backend = {
  name: 'js',
  gemm,
  packB,
  gemmPacked,
  conv2d,
  conv2dMaxPool,
  conv2dBackwardInput,
  conv2dBackwardWeight,
  maxPool2d,
  maxPool2dBackward,
  avgPool2d,
  avgPool2dBackward,
  unary,
  reluBackward,
  binary,
  where,
  copy,
  reduce,
  adamUpdate,
  packInt8,
  qgemm,
  qconv2d,
  qconv2dMaxPool,
  qmaxPool2d,
  qavgPool2d,
  quantize,
  dequantize,
  packSparse,
  sparseGemm,
};
