/**
 * sharp (libvips), loaded on first use: importing it maps about 30 MB of native libraries, which a program
 * that never decodes an image (training on IDX files or tables, serving a tabular model) should not carry.
 */
import type SharpFunction from 'sharp';

let loading: Promise<typeof SharpFunction> | undefined;

/** The sharp function, imported the first time it is asked for. */
export function loadSharp(): Promise<typeof SharpFunction> {
  loading ??= import('sharp').then((module) => module.default);
  return loading;
}
