/**
 * `npm run bench` — Kiln against its peers on the reference CNN (../shared/BENCHMARKS.md), in one run, on the
 * same data and the same 2 cores: training samples/s, inference latency and throughput, INT8 accuracy and
 * speed, GEMM GFLOP/s against the measured FMA peak, and peak memory of a training run. Every measurement runs
 * in its own child process (bench/kiln-*.ts, bench/peer-*.ts, bench/torch_bench.py, bench/peak_fma.c), one
 * after another; this script prints a table with the ratio of Kiln to each peer and writes everything to
 * bench/results/<timestamp>.json.
 *
 * usage: npm run bench [-- --quick] [-- --only train,infer,int8,gemm] [-- --verbose]
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import {
  BENCH_DIR,
  CALIBRATION_IMAGES,
  ONNX_FILE,
  REPO_DIR,
  RESULT_PREFIX,
  SUBSET_FMNIST_DIR,
  WORK_DIR,
  fashionMnistDir,
  fmt,
  machineSummary,
  noiseStats,
  parseArgs,
  setNoiseBudget,
  waitQuiet,
  type Figure,
} from './common.js';
import { referenceCnnOnnx } from './onnx-writer.js';

// ---------------------------------------------------------------- settings

const SECTIONS = ['train', 'infer', 'int8', 'gemm'];
const USAGE = `usage: npm run bench [-- --quick] [-- --only ${SECTIONS.join(',')}] [-- --verbose]`;
const args = parseArgs();
const unknown = Object.keys(args).filter((k) => !['quick', 'only', 'verbose', 'help'].includes(k));
const sections = new Set((args.only ?? SECTIONS.join(',')).split(','));
const badSections = [...sections].filter((s) => !SECTIONS.includes(s));
if (args.help !== undefined || unknown.length || badSections.length) {
  if (unknown.length) console.error(`unknown option(s): ${unknown.map((k) => `--${k}`).join(' ')}`);
  if (badSections.length) console.error(`unknown section(s) in --only: ${badSections.join(', ')} (sections: ${SECTIONS.join(', ')})`);
  console.error(USAGE);
  process.exit(args.help !== undefined && !unknown.length && !badSections.length ? 0 : 2);
}
const quick = args.quick === 'true';
const verbose = args.verbose === 'true';

interface Settings {
  trainSteps: number;
  trainWarmup: number;
  jsSteps: number;
  jsWarmup: number;
  reps: number;
  b1Calls: number;
  b256Calls: number;
  slowB256Calls: number;
  gemmCalls: number;
  gemmReps: number;
  peakIterations: number;
  peakReps: number;
  weightsSteps: number;
  /** Epochs the INT8 section trains its model for (the recipe's 2; a fraction in quick mode). */
  int8Epochs: number;
  /** The INT8 section's training child trains for a minute or more, so it has its own time limit. */
  int8TrainTimeoutS: number;
  /** Least seconds of one INT8-section batch-256 repetition: INT8 models do 10 calls in well under 0.1 s. */
  int8MinB256S: number;
  maxRepS: number;
  maxB256S: number;
  noiseBudgetS: number;
  maxWaitS: number;
  tries: number;
  childTimeoutS: number;
}

const SETTINGS: Settings = quick
  ? {
      trainSteps: 60, trainWarmup: 20, jsSteps: 4, jsWarmup: 2, reps: 3, b1Calls: 500, b256Calls: 10, slowB256Calls: 3,
      gemmCalls: 15, gemmReps: 3, peakIterations: 30_000_000, peakReps: 1, weightsSteps: 40, maxRepS: 6, maxB256S: 2,
      int8Epochs: 0.25, int8TrainTimeoutS: 300, int8MinB256S: 0.5,
      noiseBudgetS: 20, maxWaitS: 3, tries: 2, childTimeoutS: 150,
    }
  : {
      trainSteps: 300, trainWarmup: 20, jsSteps: 20, jsWarmup: 3, reps: 3, b1Calls: 500, b256Calls: 40, slowB256Calls: 15,
      gemmCalls: 30, gemmReps: 5, peakIterations: 100_000_000, peakReps: 3, weightsSteps: 150, maxRepS: 30, maxB256S: 8,
      int8Epochs: 2, int8TrainTimeoutS: 900, int8MinB256S: 1,
      noiseBudgetS: 150, maxWaitS: 20, tries: 3, childTimeoutS: 360,
    };

const PYTHON = process.env.KILN_BENCH_PYTHON ?? (fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
const startedAt = new Date();
const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
let noiseLeftS = SETTINGS.noiseBudgetS;

// ---------------------------------------------------------------- child processes

type Json = Record<string, unknown>;

interface ChildOutcome {
  ok: boolean;
  result: Json | null;
  error: string | null;
  seconds: number;
}

/** CPUs to pin children to: the first two this process may use, when there are more than two (and taskset exists). */
function pinning(): string[] {
  let allowed: number[] = [];
  try {
    const match = /^Cpus_allowed_list:\s*(\S+)/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    for (const part of match?.[1]?.split(',') ?? []) {
      const [lo, hi] = part.split('-').map(Number);
      for (let c = lo!; c <= (hi ?? lo!); c++) allowed.push(c);
    }
  } catch {
    allowed = [];
  }
  if (allowed.length <= 2 || spawnSync('taskset', ['--version']).status !== 0) return [];
  return ['taskset', '-c', allowed.slice(0, 2).join(',')];
}
const PIN = pinning();

const baseEnv: NodeJS.ProcessEnv = { ...process.env };
delete baseEnv.KILN_THREADS;
delete baseEnv.KILN_BACKEND;

function runChild(label: string, command: string[], env: NodeJS.ProcessEnv = {}, timeoutS = SETTINGS.childTimeoutS): Promise<ChildOutcome> {
  const full = [...PIN, ...command];
  console.log(`  … ${label}`);
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(full[0]!, full.slice(1), {
      cwd: REPO_DIR,
      env: {
        ...baseEnv,
        ...env,
        BENCH_NOISE_BUDGET_S: String(Math.max(0, noiseLeftS)),
        BENCH_QUIET_MAX_WAIT_S: String(SETTINGS.maxWaitS),
        BENCH_QUIET_TRIES: String(SETTINGS.tries),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let result: Json | null = null;
    const stderrTail: string[] = [];
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith(RESULT_PREFIX)) {
        try {
          result = JSON.parse(line.slice(RESULT_PREFIX.length)) as Json;
        } catch {
          result = { error: `unreadable result line: ${line.slice(0, 200)}` };
        }
      } else if (verbose || / rep \d+\/\d+:|median/.test(line)) {
        console.log(`      ${line}`);
      }
    });
    readline.createInterface({ input: child.stderr! }).on('line', (line) => {
      if (verbose) console.log(`      ! ${line}`);
      stderrTail.push(line);
      if (stderrTail.length > 15) stderrTail.shift();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutS * 1000);
    const finish = (code: number | null, signal: NodeJS.Signals | null, spawnError?: Error): void => {
      clearTimeout(timer);
      const seconds = (Date.now() - t0) / 1000;
      const r = result as Json | null;
      const noise = r?.noise as { spentS?: number } | undefined;
      if (typeof noise?.spentS === 'number') noiseLeftS -= noise.spentS;
      let error: string | null = null;
      if (spawnError) error = `cannot start ${full[0]}: ${spawnError.message}`;
      else if (typeof r?.error === 'string') error = r.error;
      else if (signal === 'SIGKILL') error = `timed out after ${timeoutS} s`;
      else if (code !== 0) error = `exited with ${signal ?? code}: ${stderrTail.slice(-5).join(' | ') || 'no output'}`;
      else if (r === null) error = `printed no result line: ${stderrTail.slice(-5).join(' | ')}`;
      if (error !== null) console.log(`      ✗ ${label}: ${error}`);
      resolve({ ok: error === null, result: error === null ? r : null, error, seconds });
    };
    let done = false;
    child.on('error', (e) => {
      if (!done) {
        done = true;
        finish(null, null, e);
      }
    });
    child.on('close', (code, signal) => {
      if (!done) {
        done = true;
        finish(code, signal);
      }
    });
  });
}

const tsChild = (script: string, scriptArgs: (string | number)[]): string[] => [
  process.execPath,
  '--import',
  'tsx',
  path.join(BENCH_DIR, script),
  ...scriptArgs.map(String),
];
/** OpenBLAS 0.3.21 picks slow generic kernels on CPUs it does not know; the anchors force SkylakeX. */
const OPENBLAS_CORETYPE = process.env.KILN_BENCH_OPENBLAS_CORETYPE ?? 'SkylakeX';
const torchEnv = (threads: number): NodeJS.ProcessEnv => ({
  OPENBLAS_CORETYPE,
  OPENBLAS_NUM_THREADS: String(threads),
  OMP_NUM_THREADS: String(threads),
  GLOG_minloglevel: '2',
  PYTHONWARNINGS: 'ignore',
});

// ---------------------------------------------------------------- the run

const missing: { what: string; reason: string }[] = [];
const raw: Record<string, ChildOutcome> = {};

async function measure(key: string, label: string, command: string[], env?: NodeJS.ProcessEnv, timeoutS?: number): Promise<Json | null> {
  const outcome = await runChild(label, command, env, timeoutS);
  raw[key] = outcome;
  if (!outcome.ok) missing.push({ what: label, reason: outcome.error ?? 'failed' });
  return outcome.result;
}

function skip(what: string, reason: string): null {
  console.log(`  – ${what}: skipped — ${reason}`);
  missing.push({ what, reason });
  return null;
}

/** Whether Debian's python3 with torch is there; the reason when not. */
function torchProbe(): { ok: true; version: string } | { ok: false; reason: string } {
  const probe = spawnSync(PYTHON, ['-c', 'import torch, numpy; print(torch.__version__)'], { encoding: 'utf8', timeout: 60_000 });
  if (probe.error) return { ok: false, reason: `${PYTHON} not found (install Debian's python3 and python3-torch: apt-get install -y python3-torch)` };
  if (probe.status !== 0) {
    const last = probe.stderr.trim().split('\n').at(-1) ?? '';
    return { ok: false, reason: `${PYTHON} cannot import torch/numpy (${last}); apt-get install -y python3-torch` };
  }
  return { ok: true, version: probe.stdout.trim() };
}

function moduleInstalled(name: string): boolean {
  return fs.existsSync(path.join(REPO_DIR, 'node_modules', ...name.split('/'), 'package.json'));
}

const data = fashionMnistDir();
const childData = { FMNIST_DIR: data.dir };
const machine = machineSummary();
console.log(`Kiln benchmark — ${quick ? 'quick' : 'full'} mode — ${startedAt.toISOString()}`);
console.log(`machine: ${machine.cpu}, ${machine.availableParallelism} CPUs available${PIN.length ? `, children pinned to CPUs ${PIN[2]}` : ''}; Node ${machine.node}`);
if (data.full) console.log(`data: full Fashion-MNIST from ${data.dir}`);
else
  console.log(
    `data: *** the full Fashion-MNIST is not at /usr/share/datasets/fashion-mnist (apt-get install -y dataset-fashion-mnist); ` +
      `using the bundled subset (10,000 train / 2,000 test) from ${path.relative(REPO_DIR, SUBSET_FMNIST_DIR)} ***`,
  );
console.log('');

fs.mkdirSync(WORK_DIR, { recursive: true });
const torch = torchProbe();
if (!torch.ok) console.log(`  PyTorch unavailable: ${torch.reason}`);
const results: Record<string, Json | null> = {};
const plural = (threads: number): string => `${threads} thread${threads > 1 ? 's' : ''}`;
/** Arguments of the inference children: every runtime is timed with the same calls and caps. */
const inferCommon = ['--reps', SETTINGS.reps, '--b1-calls', SETTINGS.b1Calls, '--max-b256-s', SETTINGS.maxB256S];
const inferArgs = [...inferCommon, '--b256-calls', SETTINGS.b256Calls];

// Training
if (sections.has('train')) {
  console.log('Training (reference CNN, batch 64, Adam lr 1e-3)');
  const trainArgs = ['--steps', SETTINGS.trainSteps, '--warmup', SETTINGS.trainWarmup, '--reps', SETTINGS.reps, '--max-rep-s', SETTINGS.maxRepS];
  results.kilnTrainNative = await measure('kilnTrainNative', 'Kiln native training, 2 threads', tsChild('kiln-train.ts', trainArgs), {
    ...childData, KILN_THREADS: '2',
  });
  results.torchTrain2 = torch.ok
    ? await measure('torchTrain2', 'PyTorch training, 2 threads', [PYTHON, path.join(BENCH_DIR, 'torch_bench.py'), 'train', '--threads', '2',
        ...trainArgs.map(String)], { ...childData, ...torchEnv(2) })
    : skip('PyTorch training, 2 threads', torch.reason);
  results.kilnTrainJs = await measure('kilnTrainJs', 'Kiln js training (slow reference backend: fewer steps)',
    tsChild('kiln-train.ts', ['--steps', SETTINGS.jsSteps, '--warmup', SETTINGS.jsWarmup, '--reps', SETTINGS.reps, '--max-rep-s', SETTINGS.maxRepS]), {
      ...childData, KILN_BACKEND: 'js',
    });
  console.log('');
}

// Inference
if (sections.has('infer')) {
  console.log('Inference (same weights in every runtime)');
  results.weights = await measure('weights', 'Kiln weights for inference (brief training, native)',
    tsChild('kiln-weights.ts', ['--steps', SETTINGS.weightsSteps]), childData);
  if (results.weights !== null) {
    const slowArgs = [...inferCommon, '--b256-calls', SETTINGS.slowB256Calls];
    for (const threads of [1, 2]) {
      results[`kilnInfer${threads}`] = await measure(`kilnInfer${threads}`, `Kiln native inference, ${threads} thread${threads > 1 ? 's' : ''}`,
        tsChild('kiln-infer.ts', inferArgs), { ...childData, KILN_THREADS: String(threads) });
    }
    if (torch.ok) {
      results.export = await measure('export', 'PyTorch: load Kiln weights, check logits, export ONNX',
        [PYTHON, path.join(BENCH_DIR, 'torch_bench.py'), 'export'], { ...childData, ...torchEnv(2) });
      for (const threads of [1, 2]) {
        results[`torchInfer${threads}`] = await measure(`torchInfer${threads}`, `PyTorch inference, ${threads} thread${threads > 1 ? 's' : ''}`,
          [PYTHON, path.join(BENCH_DIR, 'torch_bench.py'), 'infer', '--threads', String(threads), ...slowArgs.map(String)],
          { ...childData, ...torchEnv(threads) });
      }
    } else {
      results.export = null;
      skip('PyTorch inference', torch.reason);
    }
    let onnxProducer = 'torch.onnx.export';
    if (results.export === null) {
      // Without PyTorch's export, write the same graph directly from Kiln's weights.
      try {
        fs.writeFileSync(ONNX_FILE, referenceCnnOnnx());
        onnxProducer = 'bench/onnx-writer.ts (PyTorch export unavailable)';
        console.log(`  … ONNX model written by bench/onnx-writer.ts, since PyTorch's export is unavailable`);
      } catch (error) {
        onnxProducer = '';
        missing.push({ what: 'ONNX model', reason: `bench/onnx-writer.ts failed: ${(error as Error).message}` });
      }
    }
    results.onnx = { producer: onnxProducer };
    if (!moduleInstalled('onnxruntime-node')) skip('onnxruntime-node', 'not installed (npm install -D -E onnxruntime-node@1.30.0)');
    else if (onnxProducer === '') skip('onnxruntime-node', 'no ONNX model');
    else results.ort = await measure('ort', 'onnxruntime-node inference, intra-op threads 1 and 2', tsChild('peer-ort.ts', inferArgs), childData);
    if (!moduleInstalled('@tensorflow/tfjs') || !moduleInstalled('@tensorflow/tfjs-backend-wasm')) {
      skip('tfjs wasm', 'not installed (npm install -D -E @tensorflow/tfjs@4.22.0 @tensorflow/tfjs-backend-wasm@4.22.0)');
    } else {
      results.tfjs = await measure('tfjs', 'tfjs wasm inference, 1 thread', tsChild('peer-tfjs.ts', slowArgs), childData);
    }
  } else {
    skip('all inference measurements', 'Kiln weights could not be produced');
  }
  console.log('');
}

// INT8: accuracy of the recipe's model quantized, then speed of its model files against float and PyTorch's INT8
if (sections.has('int8')) {
  console.log(`INT8 (reference CNN trained ${SETTINGS.int8Epochs} epoch(s), static quantization calibrated on ${CALIBRATION_IMAGES} training images)`);
  results.int8 = await measure('int8', `Kiln: train ${SETTINGS.int8Epochs} epoch(s) (native, 2 threads), quantize (minmax, percentile, mse), test accuracy, model files`,
    tsChild('kiln-int8.ts', ['--epochs', SETTINGS.int8Epochs]), { ...childData, KILN_THREADS: '2' }, SETTINGS.int8TrainTimeoutS);
  if (results.int8 !== null) {
    const int8Args = [...inferArgs, '--min-b256-s', SETTINGS.int8MinB256S];
    for (const threads of [1, 2]) {
      results[`kilnInt8Infer${threads}`] = await measure(`kilnInt8Infer${threads}`, `Kiln fp32 and int8 model files, ${plural(threads)}`,
        tsChild('kiln-int8-infer.ts', int8Args), { ...childData, KILN_THREADS: String(threads) });
    }
    if (torch.ok) {
      for (const threads of [1, 2]) {
        results[`torchInt8_${threads}`] = await measure(`torchInt8_${threads}`, `PyTorch static INT8 (same weights), ${plural(threads)}`,
          [PYTHON, path.join(BENCH_DIR, 'torch_bench.py'), 'int8', '--threads', String(threads), ...int8Args.map(String)],
          { ...childData, ...torchEnv(threads) });
      }
    } else {
      skip('PyTorch static INT8', torch.reason);
    }
  } else {
    skip('INT8 speed measurements', 'the INT8 model could not be produced');
  }
  console.log('');
}

// GEMM and the machine's peak
if (sections.has('gemm')) {
  console.log('GEMM 1024³ fp32 and the machine peak');
  for (const threads of [1, 2]) {
    results[`gemm${threads}`] = await measure(`gemm${threads}`, `Kiln native GEMM, ${threads} thread${threads > 1 ? 's' : ''}`,
      tsChild('kiln-gemm.ts', ['--calls', SETTINGS.gemmCalls, '--reps', SETTINGS.gemmReps]), { KILN_THREADS: String(threads) });
  }
  const peakBinary = path.join(WORK_DIR, 'peak_fma');
  const compile = spawnSync('gcc', ['-O2', '-mavx512f', '-mfma', '-pthread', path.join(BENCH_DIR, 'peak_fma.c'), '-o', peakBinary], { encoding: 'utf8' });
  if (compile.error || compile.status !== 0) {
    results.peak = skip('FMA peak', `gcc could not build bench/peak_fma.c: ${compile.error?.message ?? compile.stderr.trim().split('\n')[0]}`);
  } else {
    const runs: Json[] = [];
    for (let r = 0; r < SETTINGS.peakReps; r++) {
      setNoiseBudget(noiseLeftS);
      noiseLeftS -= await waitQuiet();
      const out = await measure(`peak${r}`, `FMA peak (bench/peak_fma.c) ${r + 1}/${SETTINGS.peakReps}`, [peakBinary, String(SETTINGS.peakIterations)]);
      if (out !== null) runs.push(out);
    }
    results.peak = runs.length ? { runs } : null;
  }
  console.log('');
}

// ---------------------------------------------------------------- the table

const get = (key: string): Json | null => results[key] ?? null;
const figureOf = (json: Json | null, field: string): Figure | null => (json?.[field] as Figure | undefined) ?? null;
const num = (json: Json | null, field: string): number | null => (typeof json?.[field] === 'number' ? (json[field] as number) : null);
/** Says when the time cap cut training repetitions short. */
const stepsNote = (json: Json | null): string => {
  const done = json?.timedSteps as number[] | undefined;
  const asked = num(json, 'steps');
  return done && asked !== null && done.some((d) => d < asked) ? ` (time cap: ${done.join('/')} steps timed)` : '';
};

const maxForeign = 0.3;
const noisyMark = (f: Figure): string => (f.foreignCores.some((c) => c > maxForeign) ? ' *' : '');
const range = (f: Figure): string => `[${fmt(Math.min(...f.reps))}–${fmt(Math.max(...f.reps))}]`;
const cell = (f: Figure | null, width = 24): string => (f === null ? 'missing' : `${fmt(f.median)} ${range(f)}${noisyMark(f)}`).padEnd(width);
const ratio = (r: number): string => `${r >= 10 ? r.toFixed(0) : r >= 1 ? r.toFixed(2) : r.toFixed(2)}×`;

interface RatioRecord {
  what: string;
  kiln: number;
  peer: string;
  peerValue: number;
  ratio: number;
  meaning: string;
}
const ratios: RatioRecord[] = [];
/** Throughput ratio Kiln / peer (>1: Kiln faster). */
function tput(what: string, kiln: Figure | null, peer: string, other: Figure | null): string | null {
  if (kiln === null || other === null) return null;
  const r = kiln.median / other.median;
  ratios.push({ what, kiln: kiln.median, peer, peerValue: other.median, ratio: r, meaning: 'Kiln / peer throughput' });
  return `${ratio(r)} ${peer}`;
}
/** Latency comparison as speed: peer ms / Kiln ms (>1: Kiln faster). */
function lat(what: string, kiln: Figure | null, peer: string, other: Figure | null): string | null {
  if (kiln === null || other === null) return null;
  const r = other.median / kiln.median;
  ratios.push({ what, kiln: kiln.median, peer, peerValue: other.median, ratio: r, meaning: 'peer ms / Kiln ms (speed)' });
  return `${ratio(r)} ${peer}`;
}

const lines: string[] = [];
const out = (line = ''): void => {
  lines.push(line);
};
const weights = get('weights');
const kilnBackend = (get('kilnTrainNative')?.backend ?? get('kilnInfer2')?.backend ?? get('int8')?.backend ?? get('gemm2')?.backend) as { reason?: string } | undefined;
out(`Kiln benchmark — ${quick ? 'quick' : 'full'} mode — ${startedAt.toISOString()}`);
out(`machine: ${machine.cpu}, ${machine.availableParallelism} CPUs${PIN.length ? ` (children pinned to CPUs ${PIN[2]})` : ''}; Node ${machine.node}; Kiln: ${kilnBackend?.reason ?? 'native backend not measured'}`);
out(
  data.full
    ? `data: full Fashion-MNIST (${data.dir})`
    : `data: BUNDLED SUBSET (10,000 train / 2,000 test) — full set absent (apt-get install -y dataset-fashion-mnist)`,
);
out(`each figure: median of ${SETTINGS.reps}+ repetitions [min–max]; * = a kept repetition had other processes using > ${maxForeign} cores`);
out('ratios: Kiln relative to the peer, >1× = Kiln faster (throughput: Kiln ÷ peer; latency: peer ms ÷ Kiln ms)');

if (sections.has('train')) {
  const native = figureOf(get('kilnTrainNative'), 'samplesPerSecond');
  const js = figureOf(get('kilnTrainJs'), 'samplesPerSecond');
  const pt = figureOf(get('torchTrain2'), 'samplesPerSecond');
  const torchVersion = (get('torchTrain2')?.env as { torch?: string } | undefined)?.torch ?? (torch.ok ? torch.version : '');
  out('');
  out(`Training — reference CNN, batch 64, Adam lr 1e-3, real shuffled batches; samples/s (higher is better)`);
  const rows: [string, Figure | null, string | null, string][] = [
    ['Kiln native, 2 threads', native, tput('train samples/s, 2 threads', native, 'PyTorch (2 threads)', pt), `${SETTINGS.trainSteps} steps/rep after ${SETTINGS.trainWarmup} warm-up${stepsNote(get('kilnTrainNative'))}`],
    ['Kiln js (reference backend)', js, tput('train samples/s, js backend', js, 'PyTorch (2 threads)', pt), `slow: only ${SETTINGS.jsSteps} steps/rep after ${SETTINGS.jsWarmup} warm-up${stepsNote(get('kilnTrainJs'))}`],
    [`PyTorch ${torchVersion} CPU, 2 threads`, pt, null, `OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE}${stepsNote(get('torchTrain2'))}`],
  ];
  for (const [label, f, r, note] of rows) out(`  ${label.padEnd(32)} ${cell(f)} ${(r ?? '').padEnd(26)} ${note}`);
}

if (sections.has('infer')) {
  const k1 = get('kilnInfer1');
  const k2 = get('kilnInfer2');
  const ortRuns = (get('ort')?.runs as Json[] | undefined) ?? [];
  const ort1 = ortRuns.find((r) => r.threads === 1) ?? null;
  const ort2 = ortRuns.find((r) => r.threads === 2) ?? null;
  const t1 = get('torchInfer1');
  const t2 = get('torchInfer2');
  const tfjs = get('tfjs');
  const diffs = [
    ['PyTorch', num(get('export'), 'maxAbsLogitDiffVsKiln')],
    ['ORT', num(ort1, 'maxAbsLogitDiffVsKiln')],
    ['tfjs', num(tfjs, 'maxAbsLogitDiffVsKiln')],
    ['Kiln 1 thread', num(k1, 'maxAbsLogitDiffVsKiln')],
  ] as const;
  out('');
  out(
    `Inference — Kiln's weights in every runtime (${weights ? `${num(weights, 'steps')} training steps, test accuracy ${((num(weights, 'testAccuracy') ?? 0) * 100).toFixed(1)} %` : 'no weights'});` +
      ` max |logit − Kiln| on 256 test images: ${diffs.map(([n, d]) => `${n} ${d === null ? 'n/a' : d.toExponential(1)}`).join(', ')}`,
  );
  out(`  ${''.padEnd(34)} ${'b1 latency ms (lower better)'.padEnd(30)} ${'b256 samples/s (higher better)'}`);
  const row = (label: string, json: Json | null, note = ''): void => {
    out(`  ${label.padEnd(34)} ${cell(figureOf(json, 'b1Ms'), 30)} ${cell(figureOf(json, 'b256SamplesPerSecond'), 26)} ${note}`);
  };
  const ortVersion = (get('ort')?.version as string | undefined) ?? '';
  const tfjsVersion = (tfjs?.version as string | undefined) ?? '';
  row('Kiln native, 1 thread', k1);
  row('Kiln native, 2 threads', k2);
  row(`onnxruntime-node${ortVersion ? ` ${ortVersion}` : ''}, 1 thread`, ort1, ort1 ? `(ONNX by ${String(get('onnx')?.producer)})` : '');
  row('onnxruntime-node, 2 threads', ort2);
  row('PyTorch, 1 thread', t1);
  row('PyTorch, 2 threads', t2);
  row(`tfjs${tfjsVersion ? ` ${tfjsVersion}` : ''} wasm, 1 thread`, tfjs, tfjs?.simd === true ? '(SIMD; no threads in Node)' : '');
  for (const [threads, kiln, ort, pt] of [[1, k1, ort1, t1], [2, k2, ort2, t2]] as const) {
    const kb1 = figureOf(kiln, 'b1Ms');
    const kb256 = figureOf(kiln, 'b256SamplesPerSecond');
    const t = `${threads} thread${threads > 1 ? 's' : ''}`;
    const b1 = [
      lat(`b1 latency, ${t}`, kb1, `ORT (${t})`, figureOf(ort, 'b1Ms')),
      lat(`b1 latency, ${t}`, kb1, `PyTorch (${t})`, figureOf(pt, 'b1Ms')),
      lat(`b1 latency, ${t}`, kb1, 'tfjs-wasm (1 thread)', figureOf(tfjs, 'b1Ms')),
    ].filter((s) => s !== null);
    const b256 = [
      tput(`b256 samples/s, ${t}`, kb256, `ORT (${t})`, figureOf(ort, 'b256SamplesPerSecond')),
      tput(`b256 samples/s, ${t}`, kb256, `PyTorch (${t})`, figureOf(pt, 'b256SamplesPerSecond')),
      tput(`b256 samples/s, ${t}`, kb256, 'tfjs-wasm (1 thread)', figureOf(tfjs, 'b256SamplesPerSecond')),
    ].filter((s) => s !== null);
    out(`  ${`Kiln native ${t}, b1 speed:`.padEnd(34)} ${b1.join(', ') || 'no peer'}`);
    out(`  ${`Kiln native ${t}, b256:`.padEnd(34)} ${b256.join(', ') || 'no peer'}`);
  }
}

/** What the INT8 section reports besides figures, read from its children's results. */
interface Int8Accuracy {
  accuracy: number;
  dropPoints: number;
  agreementWithFp32: number;
}
const pct = (x: number): string => `${(x * 100).toFixed(2)} %`;
const int8 = get('int8');
const int8Methods = (int8?.int8 as Record<string, Int8Accuracy> | undefined) ?? {};
const int8Headline = typeof int8?.headline === 'string' ? int8.headline : 'percentile';
const torchInt8 = get('torchInt8_1') ?? get('torchInt8_2');
/** PyTorch's quantized engine in a result ('' when PyTorch INT8 was not measured). */
const torchEngine = (json: Json | null): string => (typeof json?.engine === 'string' ? json.engine : '');
const torchInt8Label = (json: Json | null): string => `PyTorch INT8${json ? ` ${torchEngine(json)}` : ''}`;
const int8Files = int8?.files as { fp32: { bytes: number }; int8: { bytes: number } } | undefined;
if (sections.has('int8')) {
  if (int8 === null) {
    out('');
    out('INT8 — not measured: the INT8 model could not be produced (see Missing or failed below)');
  } else {
    const fp32Accuracy = (int8.fp32 as { accuracy: number } | undefined)?.accuracy;
    out('');
    out(
      `INT8 — static post-training quantization of the reference CNN trained ${num(int8, 'epochs') ?? SETTINGS.int8Epochs} epoch(s)` +
        ` (${num(int8, 'steps')} steps of ${num(int8, 'batch')}, Adam 1e-3, ${fmt(num(int8, 'trainSeconds')!)} s on 2 threads)` +
        `, calibrated on the first ${(num(int8, 'calibrationImages') ?? CALIBRATION_IMAGES).toLocaleString('en-US')} training images; the same weights in PyTorch`,
    );
    if (quick) out(`  QUICK MODE: trained ${SETTINGS.int8Epochs} epoch only, not the recipe's 2 — accuracies are not comparable with BENCHMARKS.md`);
    out(`  ${`test accuracy (${num(int8, 'testImages')?.toLocaleString('en-US') ?? '?'} images)`.padEnd(42)} ${'fp32'.padEnd(9)} ${'int8'.padEnd(9)} ${'drop'.padEnd(12)} top-1 agreement with fp32`);
    const accuracyRow = (label: string, fp32: number | undefined, q: Int8Accuracy | undefined): void => {
      out(`  ${label.padEnd(42)} ${(fp32 === undefined ? 'missing' : pct(fp32)).padEnd(9)} ${(q ? pct(q.accuracy) : 'missing').padEnd(9)} ` +
        `${(q ? `${q.dropPoints.toFixed(2)} points` : '').padEnd(12)} ${q ? pct(q.agreementWithFp32) : ''}`);
    };
    const methodNames = Object.keys(int8Methods).sort((a, b) => Number(b === int8Headline) - Number(a === int8Headline));
    for (const method of methodNames.length ? methodNames : [int8Headline]) {
      accuracyRow(`Kiln, ${method}${method === int8Headline ? ' (headline: the default)' : ''}`, fp32Accuracy, int8Methods[method]);
    }
    accuracyRow(
      `${torchInt8Label(torchInt8)}, default qconfig`,
      num(torchInt8, 'fp32Accuracy') ?? undefined,
      torchInt8
        ? { accuracy: num(torchInt8, 'int8Accuracy')!, dropPoints: num(torchInt8, 'dropPoints')!, agreementWithFp32: num(torchInt8, 'agreementWithFp32')! }
        : undefined,
    );
    const reload = int8.reloadMaxAbsLogitDiff as { fp32: number; int8: number } | undefined;
    const torchDiff = num(torchInt8, 'maxAbsLogitDiffVsKiln');
    out(
      `  checks: Kiln files reloaded give the saved model's logits (max |Δ| fp32 ${reload ? reload.fp32 : 'n/a'}, int8 ${reload ? reload.int8 : 'n/a'}); ` +
        `PyTorch fp32 with Kiln's weights: max |logit − Kiln| ${torchDiff === null ? 'n/a' : torchDiff.toExponential(1)} on 256 test images` +
        (torchInt8 && torchEngine(torchInt8) !== 'onednn' ? `; PyTorch engine: ${String(torchInt8.engineNote)}` : ''),
    );
    if (int8Files) {
      const sizeRatio = int8Files.fp32.bytes / int8Files.int8.bytes;
      ratios.push({ what: 'model file size', kiln: int8Files.int8.bytes, peer: 'Kiln fp32 file', peerValue: int8Files.fp32.bytes, ratio: sizeRatio, meaning: 'fp32 bytes / int8 bytes (times smaller)' });
      out(`  model files: fp32 .kiln ${fmt(int8Files.fp32.bytes / 1024)} KiB, int8 .kiln (${int8Headline}) ${fmt(int8Files.int8.bytes / 1024)} KiB — ${sizeRatio.toFixed(2)}× smaller`);
    }
    const k1 = get('kilnInt8Infer1');
    const k2 = get('kilnInt8Infer2');
    out(`  Kiln's integer kernels: ${String((k1 ?? k2)?.int8Kernels ?? 'not measured')}; Kiln fp32 and int8 below: the model files above, loaded with loadModel, through Predictor.predictTensor`);
    out(`  ${''.padEnd(42)} ${'b1 latency ms (lower better)'.padEnd(30)} b256 samples/s (higher better; ≥ ${SETTINGS.b256Calls} calls and ≥ ${SETTINGS.int8MinB256S} s per repetition)`);
    const sub = (json: Json | null, which: string): Json | null => (json?.[which] as Json | undefined) ?? null;
    for (const [threads, kiln, pt] of [[1, k1, get('torchInt8_1')], [2, k2, get('torchInt8_2')]] as const) {
      const t = plural(threads);
      for (const [label, json] of [[`Kiln fp32, ${t}`, sub(kiln, 'fp32')], [`Kiln int8, ${t}`, sub(kiln, 'int8')], [`${torchInt8Label(pt)}, ${t}`, pt]] as const) {
        out(`  ${label.padEnd(42)} ${cell(figureOf(json, 'b1Ms'), 30)} ${cell(figureOf(json, 'b256SamplesPerSecond'), 26)}`);
      }
    }
    for (const [threads, kiln, pt] of [[1, k1, get('torchInt8_1')], [2, k2, get('torchInt8_2')]] as const) {
      const t = plural(threads);
      const kb1 = figureOf(sub(kiln, 'int8'), 'b1Ms');
      const kb256 = figureOf(sub(kiln, 'int8'), 'b256SamplesPerSecond');
      const b1 = [
        lat(`int8 b1 latency, ${t}`, kb1, `Kiln fp32 (${t})`, figureOf(sub(kiln, 'fp32'), 'b1Ms')),
        lat(`int8 b1 latency, ${t}`, kb1, `PyTorch INT8 (${t})`, figureOf(pt, 'b1Ms')),
      ].filter((r) => r !== null);
      const b256 = [
        tput(`int8 b256 samples/s, ${t}`, kb256, `Kiln fp32 (${t})`, figureOf(sub(kiln, 'fp32'), 'b256SamplesPerSecond')),
        tput(`int8 b256 samples/s, ${t}`, kb256, `PyTorch INT8 (${t})`, figureOf(pt, 'b256SamplesPerSecond')),
      ].filter((r) => r !== null);
      out(`  ${`Kiln int8 ${t}, b1 speed:`.padEnd(42)} ${b1.join(', ') || 'not measured'}`);
      out(`  ${`Kiln int8 ${t}, b256:`.padEnd(42)} ${b256.join(', ') || 'not measured'}`);
    }
  }
}

if (sections.has('gemm')) {
  const peakRuns = ((get('peak')?.runs as Json[] | undefined) ?? []).map((r) => r.avx512_fma_gflops as number[] | undefined).filter((r) => Array.isArray(r));
  const avx2Runs = ((get('peak')?.runs as Json[] | undefined) ?? []).map((r) => r.avx2_fma_gflops as number[] | undefined).filter((r) => Array.isArray(r));
  const peakOf = (runs: number[][], i: number): number | null => (runs.length ? Math.max(...runs.map((r) => r[i]!)) : null);
  out('');
  out('GEMM 1024×1024×1024 fp32 (matmul, output allocation included), GFLOP/s — against the measured FMA peak (best run of bench/peak_fma.c)');
  for (const threads of [1, 2]) {
    const g = figureOf(get(`gemm${threads}`), 'gflops');
    const peak = peakOf(peakRuns as number[][], threads - 1) ?? peakOf(avx2Runs as number[][], threads - 1);
    const kind = peakRuns.length ? 'AVX-512' : 'AVX2';
    let note = peak === null ? 'peak not measured' : '';
    if (g !== null && peak !== null) {
      note = `${((g.median / peak) * 100).toFixed(0)} % of the ${kind} FMA peak (${fmt(peak)} GFLOP/s, ${threads} thread${threads > 1 ? 's' : ''})`;
      ratios.push({ what: `GEMM GFLOP/s, ${threads} thread(s)`, kiln: g.median, peer: `${kind} FMA peak`, peerValue: peak, ratio: g.median / peak, meaning: 'fraction of peak' });
    }
    out(`  Kiln native, ${threads} thread${threads > 1 ? 's ' : '  '}          ${cell(g)} ${note}`);
  }
  if (peakRuns.length || avx2Runs.length) {
    out(`  peak: AVX-512 FMA ${peakRuns.length ? `${fmt(peakOf(peakRuns as number[][], 0)!)} / ${fmt(peakOf(peakRuns as number[][], 1)!)}` : 'n/a'} GFLOP/s, ` +
      `AVX2 FMA ${avx2Runs.length ? `${fmt(peakOf(avx2Runs as number[][], 0)!)} / ${fmt(peakOf(avx2Runs as number[][], 1)!)}` : 'n/a'} GFLOP/s (1 / 2 threads)`);
  }
}

if (sections.has('train')) {
  const kr = get('kilnTrainNative');
  const pr = get('torchTrain2');
  const kRss = num(kr, 'peakRssMiB');
  const pRss = num(pr, 'peakRssMiB');
  out('');
  out('Peak memory (VmHWM) of the training processes above — full training split held as uint8 in both, scaled per batch');
  const rssLine = (label: string, peak: number | null, base: number | null, baseWhat: string, extra = ''): void =>
    out(`  ${label.padEnd(32)} ${peak === null ? 'missing' : `${fmt(peak)} MiB`.padEnd(12)} ${base === null ? '' : `(${fmt(base)} MiB ${baseWhat})`} ${extra}`);
  let cmp = '';
  if (kRss !== null && pRss !== null) {
    cmp = `${(kRss / pRss).toFixed(2)}× PyTorch's memory`;
    ratios.push({ what: 'peak RSS training', kiln: kRss, peer: 'PyTorch (2 threads)', peerValue: pRss, ratio: kRss / pRss, meaning: 'Kiln MiB / peer MiB (lower better)' });
  }
  rssLine('Kiln native, 2 threads', kRss, num(kr, 'baselineRssMiB'), 'at start, tsx loader included', cmp);
  rssLine('PyTorch, 2 threads', pRss, num(pr, 'baselineRssMiB'), 'after import torch');
}

// Targets of ../shared/BENCHMARKS.md that this run measures.
const find = (what: string, peer: string): RatioRecord | undefined => ratios.find((r) => r.what === what && r.peer === peer);
const targets: { target: string; value: string; met: boolean | null }[] = [];
const target = (text: string, r: RatioRecord | undefined, ok: (x: number) => boolean, show: (x: RatioRecord) => string): void => {
  targets.push({ target: text, value: r ? show(r) : 'not measured', met: r ? ok(r.ratio) : null });
};
target('training samples/s ≥ 2× PyTorch (2 threads)', find('train samples/s, 2 threads', 'PyTorch (2 threads)'), (x) => x >= 2, (r) => ratio(r.ratio));
for (const t of ['1 thread', '2 threads']) {
  target(`b256 samples/s ≥ 1× onnxruntime-node (${t})`, find(`b256 samples/s, ${t}`, `ORT (${t})`), (x) => x >= 1, (r) => ratio(r.ratio));
  target(`b1 latency ≤ 1× onnxruntime-node (${t})`, find(`b1 latency, ${t}`, `ORT (${t})`), (x) => x >= 1, (r) => `${ratio(1 / r.ratio)} its latency (${fmt(r.kiln)} vs ${fmt(r.peerValue)} ms)`);
}
target('peak RSS training ≤ 0.5× PyTorch', find('peak RSS training', 'PyTorch (2 threads)'), (x) => x <= 0.5, (r) => ratio(r.ratio));
const headlineDrop = int8Methods[int8Headline];
if (headlineDrop) {
  targets.push({
    target: `INT8 accuracy drop ≤ 0.3 points (${int8Headline})`,
    value: `${headlineDrop.dropPoints.toFixed(2)} points${quick ? ` (quick: ${SETTINGS.int8Epochs} epoch of training)` : ''}`,
    met: headlineDrop.dropPoints <= 0.3,
  });
}
target('INT8 .kiln file ≥ 3.5× smaller than fp32', find('model file size', 'Kiln fp32 file'), (x) => x >= 3.5, (r) => `${r.ratio.toFixed(2)}× smaller`);
for (const threads of [1, 2]) {
  const t = plural(threads);
  target(`INT8 b256 samples/s ≥ 2× Kiln fp32 (${t})`, find(`int8 b256 samples/s, ${t}`, `Kiln fp32 (${t})`), (x) => x >= 2, (r) => ratio(r.ratio));
  target(`INT8 b1 latency < Kiln fp32 (${t})`, find(`int8 b1 latency, ${t}`, `Kiln fp32 (${t})`), (x) => x > 1, (r) => `${ratio(1 / r.ratio)} its latency (${fmt(r.kiln)} vs ${fmt(r.peerValue)} ms)`);
  const engine = torchEngine(get(`torchInt8_${threads}`));
  target(`INT8 b256 samples/s ≥ 1.5× PyTorch INT8 (${t})`, find(`int8 b256 samples/s, ${t}`, `PyTorch INT8 (${t})`), (x) => x >= 1.5,
    (r) => `${ratio(r.ratio)}${engine === 'onednn' ? '' : ` (PyTorch on ${engine}, not onednn)`}`);
}
if (targets.some((t) => t.met !== null)) {
  out('');
  out('Targets (../shared/BENCHMARKS.md) in this run');
  for (const t of targets) if (t.met !== null) out(`  ${t.met ? 'met   ' : 'missed'}  ${t.target.padEnd(52)} ${t.value}`);
}

out('');
if (missing.length) {
  out('Missing or failed:');
  for (const m of missing) out(`  - ${m.what}: ${m.reason}`);
} else {
  out('Missing or failed: none — every peer was measured.');
}
const noiseRecords = Object.values(raw).map((o) => o.result?.noise as { spentS?: number; redone?: number; noisyKept?: number } | undefined);
const redone = noiseRecords.reduce((a, n) => a + (n?.redone ?? 0), 0);
const noisyKept = noiseRecords.reduce((a, n) => a + (n?.noisyKept ?? 0), 0);
const spent = noiseRecords.reduce((a, n) => a + (n?.spentS ?? 0), 0) + noiseStats().spentS;
const elapsedS = (Date.now() - startedAt.getTime()) / 1000;
/** Every kept repetition's foreign-core figure, from every result. */
const foreignAll: number[] = [];
const walk = (value: unknown): void => {
  if (Array.isArray(value)) value.forEach(walk);
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'foreignCores' && Array.isArray(v)) foreignAll.push(...(v as number[]));
      else walk(v);
    }
  }
};
walk(results);
const busyReps = foreignAll.filter((c) => c > maxForeign).length;
if (busyReps > foreignAll.length / 4) {
  out(
    `WARNING: other processes used > ${maxForeign} cores during ${busyReps} of ${foreignAll.length} kept repetitions (median ` +
      `${fmt(foreignAll.sort((a, b) => a - b)[foreignAll.length >> 1]!)} cores): this machine was busy, so absolute figures are low and ` +
      'ratios are distorted (multi-threaded runs suffer most). Rerun on a quiet machine before quoting them.',
  );
}
out(
  `Noise control: ${spent.toFixed(0)} s of a ${SETTINGS.noiseBudgetS} s budget spent waiting for a quiet machine or redoing ${redone} repetition(s); ` +
    `${noisyKept} repetition(s) kept although other processes were busy. Whole run ${fmt(elapsedS)} s.`,
);

const resultsDir = path.join(BENCH_DIR, 'results');
fs.mkdirSync(resultsDir, { recursive: true });
const jsonPath = path.join(resultsDir, `${stamp}.json`);
out(`wrote ${path.relative(REPO_DIR, jsonPath)}`);
console.log('');
console.log(lines.join('\n'));
fs.writeFileSync(
  jsonPath,
  `${JSON.stringify(
    {
      startedAt: startedAt.toISOString(),
      seconds: elapsedS,
      mode: quick ? 'quick' : 'full',
      settings: SETTINGS,
      machine: { ...machine, pinnedTo: PIN.length ? PIN[2] : null, loadavg: os.loadavg() },
      data,
      python: PYTHON,
      torch: torch.ok ? torch.version : null,
      ratios,
      targets,
      missing,
      results,
      children: Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, { ok: v.ok, error: v.error, seconds: v.seconds }])),
      table: lines.join('\n'),
    },
    null,
    1,
  )}\n`,
);
