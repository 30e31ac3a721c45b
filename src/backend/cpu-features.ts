import { readFileSync } from 'node:fs';
import os from 'node:os';

/** What the CPU offers for the kernels Kiln cares about. */
export interface CpuInfo {
  model: string;
  /** Logical cores this process may use. */
  cores: number;
  avx2: boolean;
  fma: boolean;
  avx512: boolean;
  /** AVX512-VNNI or AVX-VNNI: int8 dot products (`vpdpbusd`). */
  vnni: boolean;
  /** AMX tiles with int8 support. */
  amx: boolean;
  /** Where the flags came from, or why they are unknown. */
  source: string;
}

/** Reads the CPU model and feature flags (from /proc/cpuinfo on Linux; unknown elsewhere). */
export function detectCpu(): CpuInfo {
  const model = os.cpus()[0]?.model.trim() ?? 'unknown';
  const cores = os.availableParallelism();
  let flags: Set<string>;
  let source: string;
  try {
    const text = readFileSync('/proc/cpuinfo', 'utf8');
    const line = text.split('\n').find((l) => l.startsWith('flags'));
    flags = new Set((line?.split(':')[1] ?? '').trim().split(/\s+/));
    source = '/proc/cpuinfo';
  } catch {
    flags = new Set();
    source = `unknown on ${process.platform} (no /proc/cpuinfo)`;
  }
  return {
    model,
    cores,
    avx2: flags.has('avx2'),
    fma: flags.has('fma'),
    avx512: flags.has('avx512f') && flags.has('avx512bw') && flags.has('avx512vl'),
    vnni: flags.has('avx512_vnni') || flags.has('avx_vnni'),
    amx: flags.has('amx_tile') && flags.has('amx_int8'),
    source,
  };
}
