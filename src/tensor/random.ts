import { ArgumentError } from '../errors.js';

/** The serializable state of a {@link Generator}, for checkpoints. */
export interface GeneratorState {
  readonly seed: number;
  readonly s: readonly [number, number, number, number];
}

/**
 * A seeded pseudo-random generator (xoshiro128**, seeded through splitmix32). Every random operation in
 * Kiln — initialization, shuffling, dropout, augmentation — draws from one of these, so a seed reproduces a
 * run. 32-bit integer arithmetic keeps it fast in JavaScript.
 */
export class Generator {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private seedValue = 0;

  /** @param seed any integer (taken modulo 2³²) */
  constructor(seed = 0) {
    this.manualSeed(seed);
  }

  /** Resets the generator to the start of the stream of `seed`. */
  manualSeed(seed: number): this {
    if (!Number.isFinite(seed)) throw new ArgumentError(`manualSeed: seed must be a finite number, got ${seed}`);
    this.seedValue = seed;
    let x = Math.trunc(seed) >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    return this;
  }

  /** The seed last given to {@link Generator.manualSeed}. */
  get seed(): number {
    return this.seedValue;
  }

  /** A uniformly distributed unsigned 32-bit integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** A uniform double in [0, 1) with 53 random bits. */
  nextDouble(): number {
    const hi = this.nextUint32() >>> 5;
    const lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** A uniform integer in [low, high). */
  nextInt(low: number, high: number): number {
    const span = high - low;
    if (!(span > 0)) throw new ArgumentError(`Generator.nextInt: high (${high}) must be greater than low (${low})`);
    // Rejection sampling keeps the distribution exact for spans that do not divide 2³².
    if (span <= 0x100000000) {
      const limit = 0x100000000 - (0x100000000 % span);
      let r: number;
      do r = this.nextUint32();
      while (r >= limit);
      return low + (r % span);
    }
    return low + Math.floor(this.nextDouble() * span);
  }

  /** Fills `out` with normal samples of the given mean and standard deviation. */
  fillNormal(out: { length: number; [i: number]: number }, mean = 0, std = 1): void {
    for (let i = 0; i < out.length; i += 2) {
      const radius = Math.sqrt(-2 * Math.log(1 - this.nextDouble()));
      const angle = 2 * Math.PI * this.nextDouble();
      out[i] = mean + std * radius * Math.cos(angle);
      if (i + 1 < out.length) out[i + 1] = mean + std * radius * Math.sin(angle);
    }
  }

  /** Fills `out` with uniform samples in [low, high). */
  fillUniform(out: { length: number; [i: number]: number }, low = 0, high = 1): void {
    const span = high - low;
    for (let i = 0; i < out.length; i++) out[i] = low + span * this.nextDouble();
  }

  /** The full state, to save in a checkpoint. */
  getState(): GeneratorState {
    return { seed: this.seedValue, s: [this.s0, this.s1, this.s2, this.s3] };
  }

  /** Restores a state from {@link Generator.getState}; the stream continues exactly where it was. */
  setState(state: GeneratorState): void {
    const s = state.s;
    if (!Array.isArray(s) || s.length !== 4 || !s.every((v) => Number.isInteger(v))) {
      throw new ArgumentError('Generator.setState: expected { seed, s: [four 32-bit integers] } from getState()');
    }
    this.seedValue = state.seed;
    [this.s0, this.s1, this.s2, this.s3] = s.map((v) => v | 0) as [number, number, number, number];
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** The generator used when none is passed explicitly. */
export const defaultGenerator = new Generator(0);

/** Seeds the default generator: every later random op without an explicit generator follows this seed. */
export function manualSeed(seed: number): Generator {
  return defaultGenerator.manualSeed(seed);
}
