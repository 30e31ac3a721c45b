/**
 * Kiln training throughput on the reference CNN: `--warmup` untimed steps, then `--reps` repetitions of
 * `--steps` timed steps (batch 64, Adam lr 1e-3, real shuffled Fashion-MNIST batches), samples/s per
 * repetition, median reported. Also the peak resident memory (VmHWM) of the whole run.
 * The backend and thread count come from the environment (KILN_BACKEND, KILN_THREADS).
 *
 * A repetition also ends after `--max-rep-s` seconds (at least 5 steps), so a loaded machine cannot stretch
 * the run without bound; the steps actually timed are reported.
 *
 * usage: KILN_THREADS=2 node --import tsx bench/kiln-train.ts [--steps 300 --warmup 20 --reps 3 --max-rep-s 30]
 *        KILN_BACKEND=js node --import tsx bench/kiln-train.ts --steps 20 --warmup 3
 */
import { emit, fashionMnistDir, log, numArg, parseArgs, peakRssMiB, repeat, runMain } from './common.js';
import { BATCH, makeTrainer, requireBackend } from './kiln-model.js';

runMain('kiln-train', async () => {
  const args = parseArgs();
  const steps = numArg(args, 'steps', 300);
  const warmup = numArg(args, 'warmup', 20);
  const reps = numArg(args, 'reps', 3);
  const maxRepMs = numArg(args, 'max-rep-s', Number.POSITIVE_INFINITY) * 1000;
  const baselineRssMiB = process.memoryUsage().rss / 2 ** 20;
  const { dir, full } = fashionMnistDir();
  const trainer = makeTrainer(dir, 0);
  const backend = requireBackend();
  log(`Kiln training on ${backend.reason}; ${trainer.samples} training images from ${dir}`);
  for (let i = 0; i < warmup; i++) trainer.step().item();
  let lastLoss = Number.NaN;
  const timedSteps: number[] = [];
  let done = 0;
  const samplesPerSecond = await repeat(reps, `kiln ${backend.name} train`, 'samples/s', () => {
    const t0 = performance.now();
    let loss: { item(): number } | null = null;
    done = 0;
    while (done < steps && (done < 5 || performance.now() - t0 < maxRepMs)) {
      loss = trainer.step();
      done++;
    }
    lastLoss = loss!.item();
    return (done * BATCH) / ((performance.now() - t0) / 1000);
  }, () => timedSteps.push(done));
  const peak = peakRssMiB();
  log(`median ${samplesPerSecond.median.toFixed(1)} samples/s; loss ${lastLoss.toFixed(3)}; peak RSS ${peak.toFixed(0)} MiB`);
  emit({
    backend,
    threads: process.env.KILN_THREADS ?? null,
    steps,
    timedSteps,
    warmup,
    batch: BATCH,
    samplesPerSecond,
    loss: lastLoss,
    peakRssMiB: peak,
    baselineRssMiB,
    trainImages: trainer.samples,
    data: { dir, full },
  });
});
