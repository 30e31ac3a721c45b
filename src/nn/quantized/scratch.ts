/**
 * Reused memory for a quantized model's intermediate u8 activations. Allocating a fresh multi-megabyte
 * typed array per layer and call costs more than the integer kernels themselves (zeroed pages, and garbage
 * collection of external memory), so each stage writes into its own slot, grown when a larger batch comes.
 */
export class ScratchBuffers {
  private readonly slots = new Map<number, Uint8Array>();

  /** `size` bytes for `slot`, with unspecified contents (every kernel overwrites its whole output). */
  u8(slot: number, size: number): Uint8Array {
    let buffer = this.slots.get(slot);
    if (buffer === undefined || buffer.length < size) {
      buffer = new Uint8Array(size);
      this.slots.set(slot, buffer);
    }
    return buffer.subarray(0, size);
  }
}

/** Where a stage writes its u8 output: its slot in the model's scratch buffers. */
export interface StageMemory {
  u8(size: number): Uint8Array;
}

/** Fresh memory for every call, for stages run on their own (outside a model). */
export const FRESH_MEMORY: StageMemory = { u8: (size) => new Uint8Array(size) };
