import type { Command } from 'commander';
import { detectCpu } from '../../backend/cpu-features.js';
import { availableBackends, backendChoice } from '../../backend/registry.js';
import { KILN_VERSION } from '../../version.js';

/** Everything `kiln env` reports. */
export interface EnvironmentReport {
  kiln: string;
  node: string;
  platform: string;
  cpu: ReturnType<typeof detectCpu>;
  backends: string[];
  backend: string;
  reason: string;
  /** The integer (int8) kernel family in use: the native one ('avx512-vnni', …) or 'js reference'. */
  int8Kernels: string;
}

/** Collects the environment report. */
export function environmentReport(): EnvironmentReport {
  const choice = backendChoice();
  return {
    kiln: KILN_VERSION,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpu: detectCpu(),
    backends: availableBackends(),
    backend: choice.backend.name,
    reason: choice.reason,
    int8Kernels: 'int8Isa' in choice.backend ? String(choice.backend.int8Isa) : 'js reference',
  };
}

function yesNo(flag: boolean): string {
  return flag ? 'yes' : 'no';
}

/** The report as aligned `label  value` lines. */
export function formatEnvironment(report: EnvironmentReport): string {
  const { cpu } = report;
  const rows: [string, string][] = [
    ['Kiln', report.kiln],
    ['Node.js', `${report.node} (${report.platform})`],
    ['CPU', cpu.model],
    ['Cores', String(cpu.cores)],
    ['AVX2 + FMA', yesNo(cpu.avx2 && cpu.fma)],
    ['AVX-512', yesNo(cpu.avx512)],
    ['VNNI (int8)', yesNo(cpu.vnni)],
    ['AMX (int8)', yesNo(cpu.amx)],
    ['CPU flags from', cpu.source],
    ['Backends', report.backends.join(', ')],
    ['Backend in use', `${report.backend} — ${report.reason}`],
    ['Int8 kernels', report.int8Kernels],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n');
}

/** Registers `kiln env`. */
export function registerEnvCommand(program: Command): void {
  program
    .command('env')
    .description('show the Kiln and Node.js versions, CPU features, and which compute backend runs and why')
    .option('--json', 'print the report as JSON')
    .addHelpText('after', '\nExamples:\n  $ kiln env\n  $ KILN_BACKEND=js kiln env --json')
    .action((options: { json?: boolean }) => {
      const report = environmentReport();
      console.log(options.json ? JSON.stringify(report, null, 2) : formatEnvironment(report));
    });
}
