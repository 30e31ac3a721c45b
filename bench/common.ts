/**
 * Helpers shared by the benchmark scripts in bench/: argument parsing, medians, Fashion-MNIST IDX reading
 * without Kiln (so peer processes do not load it), a small safetensors reader, noise control on a shared
 * machine, and the one-line JSON result protocol between a measurement child and bench/run.ts.
 *
 * Every measurement script prints progress lines and, last, one line `BENCH_JSON {...}` with its result.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

export const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
export const REPO_DIR = path.resolve(BENCH_DIR, '..');
/** Scratch files of a run (weights, logits, ONNX model, compiled peak program); git-ignored. */
export const WORK_DIR = path.join(BENCH_DIR, 'results', 'work');
/** Kiln's weights (safetensors), written by kiln-weights.ts and read by every inference script. */
export const WEIGHTS_FILE = path.join(WORK_DIR, 'cnn-small.safetensors');
/** Kiln's logits on the first 256 test images (raw little-endian float32, [256, 10]). */
export const KILN_LOGITS_FILE = path.join(WORK_DIR, 'kiln-logits-256.bin');
/** The same model exported from PyTorch to ONNX by torch_bench.py. */
export const ONNX_FILE = path.join(WORK_DIR, 'cnn-small.onnx');
/** The INT8 section's model, trained by kiln-int8.ts with the full recipe (safetensors; PyTorch quantizes the same weights). */
export const TRAINED_WEIGHTS_FILE = path.join(WORK_DIR, 'cnn-small-trained.safetensors');
/** That model's float logits on the first {@link CHECK_IMAGES} test images (float32 [256, 10]). */
export const TRAINED_LOGITS_FILE = path.join(WORK_DIR, 'cnn-small-trained-logits-256.bin');
/** That model as float and as INT8 (headline calibration method) Kiln model files, whose sizes the section compares. */
export const FP32_MODEL_FILE = path.join(WORK_DIR, 'cnn-small-fp32.kiln');
export const INT8_MODEL_FILE = path.join(WORK_DIR, 'cnn-small-int8.kiln');
/** The INT8 model's logits on the first {@link CHECK_IMAGES} test images, which the speed children check their loaded model against. */
export const INT8_LOGITS_FILE = path.join(WORK_DIR, 'cnn-small-int8-logits-256.bin');
/** Calibration uses the first this many training images, in Kiln and in PyTorch alike. */
export const CALIBRATION_IMAGES = 1000;
export const RESULT_PREFIX = 'BENCH_JSON ';
export const FULL_FMNIST_DIR = '/usr/share/datasets/fashion-mnist';
export const SUBSET_FMNIST_DIR = path.join(REPO_DIR, 'datasets', 'fashion-mnist');
/** Images of the cross-check between runtimes. */
export const CHECK_IMAGES = 256;
/**
 * Untimed batch-1 calls before the latency repetitions of every JavaScript runtime. A process runs its first
 * few hundred calls with code still being compiled and a heap still growing (up to four times slower here),
 * which would otherwise land in the first repetitions and, with three of them, in the median.
 */
export const B1_WARMUP_CALLS = 1000;

// ---------------------------------------------------------------- arguments

export type Args = Record<string, string>;

/** `--name value` and `--flag` (value 'true') pairs. */
export function parseArgs(argv: readonly string[] = process.argv.slice(2)): Args {
  const args: Args = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) continue;
    const eq = arg.indexOf('=');
    if (eq > 0) {
      args[arg.slice(2, eq)] = arg.slice(eq + 1);
    } else if (i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) {
      args[arg.slice(2)] = argv[++i]!;
    } else {
      args[arg.slice(2)] = 'true';
    }
  }
  return args;
}

/** A positive numeric argument, or `fallback`. */
export function numArg(args: Args, name: string, fallback: number): number {
  const raw = args[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number, got '${raw}'`);
  return value;
}

// ---------------------------------------------------------------- statistics

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export const now = (): number => performance.now();

/** A measured figure: the median of its repetitions, with the repetitions and their noise record. */
export interface Figure {
  median: number;
  reps: number[];
  /** CPU cores other processes used during each kept repetition. */
  foreignCores: number[];
  /** Attempts of each repetition (a repetition is redone when other processes were busy). */
  attempts: number[];
}

export function figure(reps: number[], foreignCores: number[], attempts: number[]): Figure {
  return { median: median(reps), reps, foreignCores, attempts };
}

// ---------------------------------------------------------------- data

/** The Fashion-MNIST folder to use: FMNIST_DIR, else Debian's full set when present, else the bundled subset. */
export function fashionMnistDir(): { dir: string; full: boolean } {
  const fromEnv = process.env.FMNIST_DIR;
  if (fromEnv !== undefined && fromEnv !== '') return { dir: fromEnv, full: fromEnv !== SUBSET_FMNIST_DIR };
  const present = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'].every(
    (name) => fs.existsSync(path.join(FULL_FMNIST_DIR, `${name}.gz`)) || fs.existsSync(path.join(FULL_FMNIST_DIR, name)),
  );
  return present ? { dir: FULL_FMNIST_DIR, full: true } : { dir: SUBSET_FMNIST_DIR, full: false };
}

function readIdx(dir: string, name: string): { dims: number[]; data: Uint8Array } {
  const gz = path.join(dir, `${name}.gz`);
  const raw = fs.existsSync(gz) ? zlib.gunzipSync(fs.readFileSync(gz)) : fs.readFileSync(path.join(dir, name));
  if (raw[0] !== 0 || raw[1] !== 0 || raw[2] !== 0x08) throw new Error(`${name}: not an unsigned-byte IDX file`);
  const ndim = raw[3]!;
  const dims: number[] = [];
  for (let i = 0; i < ndim; i++) dims.push(raw.readUInt32BE(4 + 4 * i));
  return { dims, data: new Uint8Array(raw.buffer, raw.byteOffset + 4 + 4 * ndim, raw.length - 4 - 4 * ndim) };
}

/**
 * A Fashion-MNIST split as float32 in [0, 1] (`[n, 784]` row-major, 1 channel) and int32 labels; only its
 * first `limit` images when given (a calibration set need not hold the whole training split as floats).
 */
export function loadFashionMnistFloat(
  split: 'train' | 'test',
  dir = fashionMnistDir().dir,
  limit = Number.POSITIVE_INFINITY,
): { n: number; x: Float32Array; y: Int32Array } {
  const prefix = split === 'train' ? 'train' : 't10k';
  const images = readIdx(dir, `${prefix}-images-idx3-ubyte`);
  const labels = readIdx(dir, `${prefix}-labels-idx1-ubyte`);
  const n = Math.min(labels.dims[0]!, limit);
  const x = new Float32Array(n * 784);
  for (let i = 0; i < x.length; i++) x[i] = images.data[i]! / 255;
  return { n, x, y: Int32Array.from(labels.data.subarray(0, n)) };
}

// ---------------------------------------------------------------- weights

/** The float32 tensors of a safetensors file (enough for the bench's own files). */
export function readSafetensorsF32(file: string): Map<string, { shape: number[]; data: Float32Array }> {
  const bytes = fs.readFileSync(file);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
  const base = 8 + headerLength;
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    if (entry.dtype !== 'F32') throw new Error(`${file}: ${name} is ${entry.dtype}, expected F32`);
    const [start, end] = entry.data_offsets;
    const data = new Float32Array((end - start) / 4);
    new Uint8Array(data.buffer).set(bytes.subarray(base + start, base + end));
    out.set(name, { shape: entry.shape, data });
  }
  return out;
}

/** Raw little-endian float32 values of a file, or null when it is absent. */
export function readFloat32File(file: string): Float32Array | null {
  if (!fs.existsSync(file)) return null;
  const bytes = fs.readFileSync(file);
  const out = new Float32Array(bytes.length / 4);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

export function writeFloat32File(file: string, values: Float32Array): void {
  fs.writeFileSync(file, new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
}

/** Kiln's reference logits on the first {@link CHECK_IMAGES} test images, or null when absent. */
export function readKilnLogits(): Float32Array | null {
  return readFloat32File(KILN_LOGITS_FILE);
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`maxAbsDiff: lengths differ (${a.length} vs ${b.length})`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

// ---------------------------------------------------------------- noise control
// The machine may be shared: other processes burn cores intermittently. Before each timed repetition we
// wait (bounded) until the machine is quiet, measure how many cores other processes used during the
// repetition, and redo it (bounded) when that exceeds a threshold. Waiting and redoing both spend a noise
// budget in seconds, which bench/run.ts hands from child to child so the whole run stays within its time:
//   BENCH_NOISE_BUDGET_S    seconds this process may spend waiting for quiet and redoing repetitions (default 120)
//   BENCH_QUIET_MAX_WAIT_S  longest wait before one repetition (default 30)
//   BENCH_QUIET_TRIES       attempts per repetition (default 3)
//   BENCH_QUIET_MAX_FOREIGN cores of other processes tolerated during a repetition (default 0.3)

const USER_HZ = 100;

function busySeconds(): number {
  const fields = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  return (total - fields[3]! - fields[4]!) / USER_HZ;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? Number.NaN : Number(raw);
  return Number.isFinite(value) ? value : fallback;
}

/** What noise control cost this process: seconds spent (waiting + redone repetitions) and repetitions redone. */
const noise = { budgetS: envNumber('BENCH_NOISE_BUDGET_S', 120), spentS: 0, waitedS: 0, redone: 0, noisyKept: 0 };

/** Lets this process spend `seconds` more on noise control (bench/run.ts uses it before the peak program). */
export function setNoiseBudget(seconds: number): void {
  noise.budgetS = noise.spentS + Math.max(0, seconds);
}

export function noiseStats(): { budgetS: number; spentS: number; waitedS: number; redone: number; noisyKept: number } {
  return { ...noise };
}

/** Waits until the whole machine uses < threshCores for windowMs, within the bounds; returns seconds waited. */
export async function waitQuiet(threshCores = 0.25, windowMs = 300): Promise<number> {
  if (!fs.existsSync('/proc/stat')) return 0;
  const t0 = Date.now();
  const maxWaitMs = envNumber('BENCH_QUIET_MAX_WAIT_S', 30) * 1000;
  for (;;) {
    const b0 = busySeconds();
    await sleep(windowMs);
    const cores = (busySeconds() - b0) / (windowMs / 1000);
    const waited = Date.now() - t0;
    if (cores < threshCores || waited > maxWaitMs || noise.spentS + waited / 1000 > noise.budgetS) {
      noise.spentS += waited / 1000;
      noise.waitedS += waited / 1000;
      return waited / 1000;
    }
  }
}

/** Runs fn and measures the CPU cores used meanwhile by processes other than this one. */
async function withForeign<T>(fn: () => T | Promise<T>): Promise<{ result: T; foreignCores: number; seconds: number }> {
  const haveProc = fs.existsSync('/proc/stat');
  const b0 = haveProc ? busySeconds() : 0;
  const c0 = process.cpuUsage();
  const t0 = now();
  const result = await fn();
  const seconds = (now() - t0) / 1000;
  const own = process.cpuUsage(c0);
  const busy = haveProc ? busySeconds() - b0 : 0;
  const foreignCores = haveProc && seconds > 0 ? Math.max(0, (busy - (own.user + own.system) / 1e6) / seconds) : 0;
  return { result, foreignCores, seconds };
}

export interface QuietResult<T> {
  result: T;
  foreignCores: number;
  attempts: number;
}

/**
 * Waits for a quiet machine, runs fn, and redoes it when other processes used more than the tolerated
 * cores meanwhile, while attempts and the noise budget last.
 */
export async function measureQuiet<T>(fn: () => T | Promise<T>): Promise<QuietResult<T>> {
  const tries = Math.max(1, Math.floor(envNumber('BENCH_QUIET_TRIES', 3)));
  const maxForeign = envNumber('BENCH_QUIET_MAX_FOREIGN', 0.3);
  for (let attempt = 1; ; attempt++) {
    await waitQuiet();
    const { result, foreignCores, seconds } = await withForeign(fn);
    const noisy = foreignCores > maxForeign;
    if (!noisy || attempt >= tries || noise.spentS + seconds > noise.budgetS) {
      if (noisy) noise.noisyKept++;
      return { result, foreignCores, attempts: attempt };
    }
    noise.spentS += seconds;
    noise.redone++;
  }
}

/**
 * Repeats `rep` `reps` times under {@link measureQuiet}, logging each; returns the figure. `kept` runs after
 * each repetition that is kept (not after attempts that are redone).
 */
export async function repeat(
  reps: number,
  label: string,
  unit: string,
  rep: () => number | Promise<number>,
  kept: () => void = () => {},
): Promise<Figure> {
  const values: number[] = [];
  const foreign: number[] = [];
  const attempts: number[] = [];
  for (let r = 0; r < reps; r++) {
    const q = await measureQuiet(rep);
    kept();
    values.push(q.result);
    foreign.push(q.foreignCores);
    attempts.push(q.attempts);
    log(`${label} rep ${r + 1}/${reps}: ${fmt(q.result)} ${unit} (other processes: ${q.foreignCores.toFixed(2)} cores, attempts ${q.attempts})`);
  }
  return figure(values, foreign, attempts);
}

// ---------------------------------------------------------------- output

export function fmt(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function log(line: string): void {
  console.log(line);
}

/** Prints the result line bench/run.ts reads. */
export function emit(result: object): void {
  console.log(RESULT_PREFIX + JSON.stringify({ ...result, noise: noiseStats() }));
}

/** Peak resident memory of this process in MiB (VmHWM; resourceUsage().maxRSS as a fallback). */
export function peakRssMiB(): number {
  try {
    const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (match) return Number(match[1]) / 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS / 1024;
}

/** Runs main, printing an error as a result line (so the orchestrator reports it) and exiting non-zero. */
export function runMain(name: string, main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`${name}: ${error instanceof Error && error.stack ? error.stack : message}`);
    emit({ error: message });
    process.exitCode = 1;
  });
}

export function machineSummary(): { cpu: string; logicalCpus: number; availableParallelism: number; node: string; platform: string } {
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    logicalCpus: os.cpus().length,
    availableParallelism: os.availableParallelism(),
    node: process.version,
    platform: `${os.platform()}-${os.arch()}`,
  };
}
