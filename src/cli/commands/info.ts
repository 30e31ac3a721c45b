import { stat } from 'node:fs/promises';
import { Command } from 'commander';
import { readModelMetadata } from '../../io/model-file.js';
import { buildModel } from '../../nn/spec.js';

/** The human-readable description of a model file: metadata, metrics and the layer summary. */
export async function describeModelFile(path: string): Promise<string> {
  const metadata = await readModelMetadata(path);
  const { size } = await stat(path);
  const model = buildModel(metadata.architecture, { seed: 0 });
  const input = metadata.input;
  const inputText =
    input.kind === 'image'
      ? `images ${input.size[0]}×${input.size[1]}, ${input.channels === 1 ? 'grayscale' : 'RGB'} (${input.fit})`
      : input.kind === 'tabular'
        ? `records with fields ${input.pipeline.inputs.map((c) => c.name).join(', ')}`
        : `tensors of shape [${input.shape.join(',')}]`;
  const provenance = metadata.provenance;
  const lines = [
    `${path}: Kiln model (format ${metadata.format} v${metadata.version}), ${(size / 1024).toFixed(1)} KiB`,
    `task: ${metadata.task}${metadata.labels ? ` — ${metadata.labels.length} classes: ${metadata.labels.join(', ')}` : ''}`,
    `input: ${inputText}`,
    `metrics: ${Object.entries(metadata.metrics).map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(4)}`).join(', ') || 'none recorded'}`,
    `trained: Kiln ${provenance.kiln}, ${provenance.created}, seed ${provenance.seed ?? 'none'}, ${provenance.epochs ?? '?'} epochs, data sha256 ${provenance.dataHash?.slice(0, 16) ?? 'unknown'}…`,
  ];
  const quantization = metadata.quantization;
  if (quantization !== null) {
    const how = quantization.mode === 'dynamic' ? 'dynamic int8 (activation ranges per batch)' : `static int8, ${quantization.method} ranges${quantization.calibrationSamples ? ` from ${quantization.calibrationSamples} calibration samples` : ''}`;
    const stages = quantization.stages.map((s) => {
      if (s.type === 'float') return `float(${s.layers.map((l) => l.type).join(', ')})`;
      return `${s.type}${'relu' in s && s.relu ? '+relu' : ''}${s.type === 'conv2d' && s.maxPool ? '+maxPool2d' : ''}`;
    });
    lines.push(`quantized: ${how}`, `stages: ${stages.join(' → ')}`, '', 'the float architecture it was quantized from:');
  }
  lines.push('', model.summary(metadata.architecture.input));
  return lines.join('\n');
}

/** Registers `kiln info`. */
export function registerInfoCommand(program: Command): void {
  program
    .command('info')
    .description('describe a model file: task, classes, input, metrics, provenance and its layers')
    .argument('<model>', 'a .kiln model file')
    .option('--json', 'print the metadata as JSON')
    .addHelpText('after', '\nExample:\n  $ kiln info fashion.kiln')
    .action(async (path: string, options: { json?: boolean }) => {
      console.log(options.json ? JSON.stringify(await readModelMetadata(path), null, 2) : await describeModelFile(path));
    });
}
