/**
 * Argument checks that the kernel families' own checks (int8-args.ts, sparse-args.ts) share: each kernel
 * names itself, so an error reads the same whichever family and backend raised it.
 */

/** Throws a RangeError `kernel: problem`. */
export function failKernel(kernel: string, problem: string): never {
  throw new RangeError(`${kernel}: ${problem}`);
}

/** Checks that `value` is an integer ≥ `min`. */
export function checkCount(kernel: string, name: string, value: number, min = 0): void {
  if (!Number.isInteger(value) || value < min) failKernel(kernel, `${name} must be an integer ≥ ${min}, got ${value}`);
}

/** Checks that a row-major matrix of `rows` × `cols` at `offset`, rows `ld` apart, fits in `length` elements. */
export function checkMatrix(kernel: string, name: string, length: number, offset: number, ld: number, rows: number, cols: number): void {
  checkCount(kernel, `${name} offset`, offset);
  if (!Number.isInteger(ld) || ld < cols) failKernel(kernel, `leading dimension of ${name} is ${ld} but its rows have ${cols} columns`);
  if (rows === 0 || cols === 0) return;
  const end = offset + (rows - 1) * ld + cols;
  if (end > length) failKernel(kernel, `${name} [${rows}, ${cols}] (offset ${offset}, ld ${ld}) needs ${end} elements, has ${length}`);
}
