import { Command, Option } from 'commander';
import { CALIBRATION_METHODS, type CalibrationMethod } from '../../compress/quantize/calibrate.js';
import { convertQat, prepareQat } from '../../compress/quantize/qat.js';
import { quantizeDynamic, quantizeStatic } from '../../compress/quantize/quantize.js';
import { formatMeasurements, measureModel } from '../../compress/measure.js';
import { ArgumentError, DataError } from '../../errors.js';
import { loadFloatModelFile, saveModel } from '../../io/model-file.js';
import { slice } from '../../ops/indexing.js';
import { Adam } from '../../optim/adam.js';
import { fit } from '../../train/fit.js';
import { numberOption } from '../number-option.js';
import { contentOf, dataForModel } from './prune.js';

/** Flags of `kiln quantize`, as commander parses them. */
interface QuantizeFlags {
  calibration: string;
  testData?: string;
  target?: string;
  method: CalibrationMethod;
  percentile: number;
  calibrationSamples: number;
  dynamic?: boolean;
  qat?: boolean;
  epochs: number;
  lr: number;
  batchSize: number;
  maxTrainSamples?: number;
  seed?: number;
  timingMs: number;
  out: string;
}

/** Quantizes as the flags say and returns the report. */
async function runQuantize(modelPath: string, flags: QuantizeFlags): Promise<string> {
  if (!Number.isInteger(flags.calibrationSamples) || flags.calibrationSamples < 1) {
    throw new ArgumentError(`--calibration-samples must be a whole number ≥ 1, got ${flags.calibrationSamples}`);
  }
  if (flags.qat && flags.dynamic) throw new ArgumentError('--qat trains for static quantization; it cannot be combined with --dynamic');
  if (!Number.isInteger(flags.epochs) || flags.epochs < 1) throw new ArgumentError(`--epochs must be a whole number ≥ 1, got ${flags.epochs}`);
  const loaded = await loadFloatModelFile(modelPath, 'quantization');
  const data = await dataForModel(loaded, {
    data: flags.calibration, testData: flags.testData, target: flags.target, seed: flags.seed, maxTrainSamples: flags.maxTrainSamples,
  });
  process.stderr.write(`data: ${data.description}\n`);
  if (data.test === null) throw new DataError(`--calibration: ${flags.calibration} has no test split to measure accuracy on; give --test-data`);
  const before = measureModel('fp32', contentOf(loaded), data.test, { timingMs: flags.timingMs });
  const samples = Math.min(flags.calibrationSamples, data.train.length);
  let quantized;
  let method: string;
  if (flags.dynamic) {
    quantized = quantizeDynamic(loaded.model);
    method = 'dynamic quantization (int8 linear weights, activations quantized per batch)';
  } else if (flags.qat) {
    const qat = prepareQat(loaded.model, { calibration: slice(data.train.inputs, [[0, samples]]) });
    process.stderr.write(`quantization-aware training: ${flags.epochs} epoch(s), Adam lr ${flags.lr}\n`);
    await fit(qat, {
      train: data.train, validation: data.validation ?? undefined, loss: data.task === 'classification' ? 'cross-entropy' : 'mse',
      optimizer: new Adam(qat.parameters(), { lr: flags.lr }), epochs: flags.epochs, batchSize: flags.batchSize,
      metrics: data.task === 'classification' ? ['accuracy'] : [], seed: data.seed,
    });
    qat.eval();
    quantized = convertQat(qat);
    method = `quantization-aware training, ${flags.epochs} epoch(s) from ranges calibrated on ${samples} training samples, then int8`;
  } else {
    // The calibration samples come from the training split: the test split stays unseen.
    const calibration = slice(data.train.inputs, [[0, samples]]);
    quantized = quantizeStatic(loaded.model, calibration, { method: flags.method, percentile: flags.percentile });
    method = `static int8 quantization, ${flags.method} calibration on ${samples} training samples`;
  }
  const { task, labels, input, provenance } = loaded.metadata;
  const content = {
    model: quantized, task, labels, input,
    provenance: { seed: provenance.seed, dataHash: provenance.dataHash, epochs: provenance.epochs, quantization: { method, from: modelPath } },
  };
  const after = measureModel('int8', content, data.test, { timingMs: flags.timingMs });
  await saveModel(flags.out, { ...content, metrics: after.accuracy === null ? {} : { accuracy: after.accuracy } });
  const drop = before.accuracy !== null && after.accuracy !== null ? `accuracy change: ${(100 * (after.accuracy - before.accuracy)).toFixed(2)} points\n` : '';
  return [method, '', quantized.summary(), '', formatMeasurements([before, after]), '', `${drop}saved ${flags.out}`].join('\n');
}

/** Registers `kiln quantize`. */
export function registerQuantizeCommand(program: Command): void {
  program
    .command('quantize')
    .description('quantize a trained model to int8 (calibrated static, or dynamic) and compare it with the original')
    .argument('<model>', 'a .kiln model file')
    .option('--calibration <path>', 'the data the model was trained on (as for kiln train): calibration uses its training split, accuracy its test split', 'fashion-mnist')
    .option('--test-data <path>', 'held-out test data in the same form')
    .option('--target <column>', 'the target column (tables)')
    .addOption(new Option('--method <method>', 'how activation ranges are chosen from the calibration samples').choices([...CALIBRATION_METHODS]).default('percentile'))
    .option('--percentile <p>', 'for --method percentile: the share of values (%) each range keeps', numberOption('--percentile'), 99.99)
    .option('--calibration-samples <n>', 'training samples to calibrate on', numberOption('--calibration-samples'), 1000)
    .option('--dynamic', 'dynamic quantization: int8 linear weights, activation ranges per batch, no calibration')
    .option('--qat', 'quantization-aware training: fine-tune with fake quantization on the training split, then convert')
    .option('--epochs <n>', 'epochs of quantization-aware training', numberOption('--epochs'), 2)
    .option('--lr <rate>', 'learning rate of quantization-aware training (Adam)', numberOption('--lr'), 1e-4)
    .option('--batch-size <n>', 'batch size of quantization-aware training', numberOption('--batch-size'), 64)
    .option('--max-train-samples <n>', 'train (and calibrate) on at most n samples (quick runs)', numberOption('--max-train-samples'))
    .option('--seed <n>', "seed of the data splits (default: the model's training seed, the only one allowed when the test split is drawn from --data)", numberOption('--seed'))
    .option('--timing-ms <ms>', 'time spent measuring each of latency and throughput', numberOption('--timing-ms'), 500)
    .requiredOption('--out <file>', 'where to save the quantized model')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  $ kiln quantize fashion.kiln --calibration fashion-mnist --out fashion.int8.kiln\n' +
        '  $ kiln quantize fashion.kiln --method mse --calibration-samples 2000 --out fashion.int8.kiln\n' +
        '  $ kiln quantize fashion.kiln --qat --epochs 2 --out fashion.qat.int8.kiln\n' +
        '  $ kiln quantize tabular.kiln --calibration data.csv --target price --dynamic --out tabular.int8.kiln',
    )
    .action(async (modelPath: string, flags: QuantizeFlags) => {
      console.log(await runQuantize(modelPath, flags));
    });
}
