/**
 * `KILN_PROFILE=1`: where the time goes. Every backend kernel call is timed under its name (`conv2d`,
 * `binary add`, `adamUpdate`, …), layers above time their own spans with {@link profileScope} (backward
 * rules, optimizer steps), and garbage collection is counted; the totals print as a table on stderr when
 * the process exits, so the next bottleneck of a training run or an inference loop is visible.
 *
 * The variable is read once, when Kiln loads. Unset, no kernel is wrapped and {@link profileScope} only
 * calls its function, so a normal run pays nothing.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import type { Backend } from './backend.js';

/** True when `KILN_PROFILE` asked for profiling (any value but empty, `0` or `false`). */
export const profiling: boolean = !['', '0', 'false'].includes((process.env.KILN_PROFILE ?? '').trim().toLowerCase());

/** Accumulated time of one row of the table. */
interface Row {
  calls: number;
  ms: number;
}

const kernelRows = new Map<string, Row>();
const scopeRows = new Map<string, Row>();
let gc: Row = { calls: 0, ms: 0 };
/** When the first timed call started: the table's shares are of the wall time since then. */
let firstCall: number | null = null;

function add(rows: Map<string, Row>, name: string, start: number): void {
  const ms = performance.now() - start;
  firstCall ??= start;
  const row = rows.get(name);
  if (row === undefined) rows.set(name, { calls: 1, ms });
  else {
    row.calls++;
    row.ms += ms;
  }
}

/** Names of the kernels a backend provides, i.e. every member but its name. */
type KernelName = Exclude<keyof Backend, 'name'>;

/**
 * How each kernel is named in the table: elementwise and reduction kernels by their op too, since
 * `binary` alone would lump an add with a comparison. A typed record, so a new kernel is a compile error
 * here until it is named.
 */
const KERNEL_LABELS: { [K in KernelName]: (...args: Parameters<Backend[K]>) => string } = {
  gemm: () => 'gemm',
  packB: () => 'packB',
  gemmPacked: () => 'gemmPacked',
  conv2d: () => 'conv2d',
  conv2dMaxPool: () => 'conv2dMaxPool',
  conv2dBackwardInput: () => 'conv2dBackwardInput',
  conv2dBackwardWeight: () => 'conv2dBackwardWeight',
  maxPool2d: () => 'maxPool2d',
  maxPool2dBackward: () => 'maxPool2dBackward',
  avgPool2d: () => 'avgPool2d',
  avgPool2dBackward: () => 'avgPool2dBackward',
  unary: (op) => `unary ${op}`,
  reluBackward: () => 'reluBackward',
  where: () => 'where',
  copy: () => 'copy',
  binary: (op) => `binary ${op}`,
  reduce: (op) => `reduce ${op}`,
  adamUpdate: () => 'adamUpdate',
  packInt8: () => 'packInt8',
  qgemm: (args) => `qgemm ${args.requant.kind}`,
  qconv2d: () => 'qconv2d',
  qconv2dMaxPool: () => 'qconv2dMaxPool',
  qmaxPool2d: () => 'qmaxPool2d',
  qavgPool2d: () => 'qavgPool2d',
  quantize: () => 'quantize',
  dequantize: () => 'dequantize',
  packSparse: () => 'packSparse',
  sparseGemm: () => 'sparseGemm',
};

/**
 * `backend` with every kernel timed. The wrapper inherits from the backend, so its other members (the
 * native backend's `threads`, `setThreads`, …) keep working.
 */
export function profiledBackend<B extends Backend>(backend: B): B {
  const wrapped = Object.create(backend) as Record<string, unknown>;
  for (const name of Object.keys(KERNEL_LABELS) as KernelName[]) {
    const kernel = backend[name] as (...args: unknown[]) => unknown;
    const label = KERNEL_LABELS[name] as (...args: unknown[]) => string;
    wrapped[name] = (...args: unknown[]): unknown => {
      const start = performance.now();
      try {
        return kernel.apply(backend, args);
      } finally {
        add(kernelRows, label(...args), start);
      }
    };
  }
  return wrapped as B;
}

/** Runs `fn`, adding its time to the scope row `name` when profiling; otherwise just runs it. */
export function profileScope<T>(name: string, fn: () => T): T {
  if (!profiling) return fn();
  const start = performance.now();
  try {
    return fn();
  } finally {
    add(scopeRows, name, start);
  }
}

/** Clears every row and the clock (to leave warm-up out of the table). */
export function resetProfile(): void {
  kernelRows.clear();
  scopeRows.clear();
  gc = { calls: 0, ms: 0 };
  firstCall = null;
}

if (profiling) {
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      // Collections while the program was still loading are not part of the profiled work.
      if (firstCall === null || entry.startTime < firstCall) continue;
      gc.calls++;
      gc.ms += entry.duration;
    }
  }).observe({ entryTypes: ['gc'] });
  process.once('exit', () => {
    if (firstCall !== null) process.stderr.write(profileReport());
  });
}

/**
 * The table printed at exit: kernels by total time, then scopes, each with its share of the wall time
 * since the first timed call. A collection that pauses a kernel or scope counts in its row too.
 */
export function profileReport(): string {
  if (firstCall === null) return '\nKiln profile (KILN_PROFILE): nothing was timed\n';
  const wall = performance.now() - firstCall;
  const kernelMs = [...kernelRows.values()].reduce((sum, row) => sum + row.ms, 0);
  const width = Math.max(24, ...[...kernelRows.keys(), ...scopeRows.keys()].map((name) => name.length + 2));
  const line = (name: string, row: Row): string =>
    `${name.padEnd(width)}${String(row.calls).padStart(9)}${row.ms.toFixed(1).padStart(12)}` +
    `${((row.ms / row.calls) * 1000).toFixed(1).padStart(12)}${((100 * row.ms) / wall).toFixed(1).padStart(8)} %\n`;
  const section = (title: string, rows: Map<string, Row>): string =>
    rows.size === 0
      ? ''
      : `${title.padEnd(width)}${'calls'.padStart(9)}${'total ms'.padStart(12)}${'mean µs'.padStart(12)}${'wall'.padStart(10)}\n` +
        [...rows.entries()]
          .sort((a, b) => b[1].ms - a[1].ms)
          .map(([name, row]) => line(name, row))
          .join('');
  return (
    `\nKiln profile (KILN_PROFILE): ${wall.toFixed(0)} ms of wall time, ${kernelMs.toFixed(0)} ms in backend kernels ` +
    `(${((100 * kernelMs) / wall).toFixed(1)} %), ${gc.ms.toFixed(0)} ms in ${gc.calls} garbage collections; ` +
    'a scope includes the kernels it runs\n' +
    section('kernel', kernelRows) +
    section('scope', scopeRows)
  );
}
