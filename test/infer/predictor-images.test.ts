import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import {
  Adam, DataError, DTypeError, Generator, ImageNormalizer, ShapeError, buildModel, fromArray, indexSelect, loadImageFolder, noGrad,
  permutation, softmaxCrossEntropy, toType, type ImageFolder, type SpecModel, type Tensor,
} from '../../src/index.js';
import { loadModel, type ClassPrediction, type Predictor } from '../../src/infer/index.js';
import { saveModel, type ImageInputSpec } from '../../src/io/model-file.js';

const ROOT = new URL('../../datasets/sneaker-vs-sandal', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'kiln-predictor-images-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A few hundred Adam steps on a tiny CNN: enough to tell sneakers from sandals on the training images. */
function train(model: SpecModel, images: Tensor, labels: Tensor, normalizer: ImageNormalizer): void {
  const optimizer = new Adam(model.parameters(), { lr: 0.01 });
  const x = normalizer.transform(images);
  const generator = new Generator(2);
  model.train();
  for (let step = 0; step < 60; step++) {
    const batch = permutation(images.shape[0]!, { generator }).toTypedArray().slice(0, 32);
    const indices = fromArray(Array.from(batch), { dtype: 'int32' });
    optimizer.zeroGrad();
    softmaxCrossEntropy(model.forward(indexSelect(x, 0, indices)), indexSelect(labels, 0, indices)).backward();
    optimizer.step();
  }
}

const classes = (predictions: unknown[]): ClassPrediction[] => predictions as ClassPrediction[];

describe('Predictor: image models (sneaker-vs-sandal PNGs)', () => {
  let folder: ImageFolder;
  let model: SpecModel;
  let predictor: Predictor;
  let input: ImageInputSpec;

  before(async () => {
    folder = await loadImageFolder(ROOT, { size: [28, 28], channels: 1, fit: 'fill' });
    const normalizer = new ImageNormalizer().fit(folder.images);
    model = buildModel({
      input: [1, 28, 28],
      layers: [
        { type: 'conv2d', out: 4, kernel: 3, stride: 2 }, { type: 'relu' }, { type: 'maxPool2d', kernel: 2 },
        { type: 'flatten' }, { type: 'linear', out: 2 },
      ],
    }, { seed: 1 });
    train(model, folder.images, folder.labels, normalizer);
    input = { kind: 'image', channels: 1, size: [28, 28], fit: 'fill', normalize: normalizer.toJSON() };
    const path = join(dir, 'shoes.kiln');
    await saveModel(path, { model, task: 'classification', labels: [...folder.classNames], input, metrics: {}, provenance: { seed: 1 } });
    predictor = await loadModel(path);
  });

  test('predicts the class of PNG files, with probabilities that sum to 1 and a sorted topK', async () => {
    assert.equal(predictor.inputKind, 'image');
    assert.deepEqual(predictor.labels, ['sandal', 'sneaker']);
    const predictions = classes(await predictor.predict([...folder.files]));
    assert.equal(predictions.length, folder.files.length);
    let correct = 0;
    predictions.forEach((p, i) => {
      const total = p.probabilities.sandal! + p.probabilities.sneaker!;
      assert.ok(Math.abs(total - 1) < 1e-12);
      assert.equal(p.topK.length, 2);
      assert.ok(p.topK[0]!.probability >= p.topK[1]!.probability);
      assert.equal(p.topK[0]!.label, p.label);
      if (p.classIndex === folder.labels.data[i]) correct++;
    });
    assert.ok(correct / predictions.length > 0.85, `accuracy ${correct}/${predictions.length}`);
  });

  test('the same prediction from a path, its bytes, and the decoded [C, H, W] or [N, C, H, W] tensor', async () => {
    const files = folder.files.slice(0, 3);
    const fromPaths = await predictor.predict([...files]);
    assert.deepEqual(await predictor.predict(files.map((f) => readFileSync(f))), fromPaths);
    assert.deepEqual(await predictor.predict(files.map((f) => new Uint8Array(readFileSync(f)))), fromPaths);
    const images = folder.images.slice([[0, 3]]);
    assert.deepEqual(await predictor.predict(images), fromPaths);
    assert.deepEqual(await predictor.predict([files[0]!, images.slice([[1, 2]]).reshape([1, 28, 28]), readFileSync(files[2]!)]), fromPaths);
    // Bit-identical to the model before saving, on the same preprocessing.
    const normalized = new ImageNormalizer(input.normalize).transform(images);
    model.eval();
    const raw = noGrad(() => model.forward(normalized));
    assert.deepEqual(Array.from(predictor.predictTensor(normalized).toTypedArray()), Array.from(raw.toTypedArray()));
  });

  test('JPEG, WebP and RGB images are decoded, resized and converted to the saved size and channels', async () => {
    const png = readFileSync(folder.files[0]!);
    const rgbLarge = await sharp(png).resize(56, 70).toColourspace('srgb').png().toBuffer();
    const jpeg = await sharp(png).jpeg({ quality: 100 }).toBuffer();
    const webp = await sharp(png).webp({ lossless: true }).toBuffer();
    const predictions = classes(await predictor.predict([jpeg, webp, rgbLarge]));
    const [expected] = classes(await predictor.predict(png));
    assert.equal(predictions.length, 3);
    assert.deepEqual(predictions[1], expected, 'lossless WebP decodes to the same pixels');
    for (const p of predictions) assert.equal(p.label, expected!.label);
  });

  test('a corrupt image, a missing file, or the wrong kind of input names the input', async () => {
    const good = folder.files[0]!;
    const rejects = async (inputs: Parameters<Predictor['predict']>[0], type: new (...args: never[]) => Error, pattern: RegExp): Promise<void> => {
      await assert.rejects(predictor.predict(inputs), (error: Error) => {
        assert.ok(error instanceof type, `${error.name}: ${error.message}`);
        assert.match(error.message, pattern);
        return true;
      });
    };
    await rejects([good, Buffer.from('this is not an image')], DataError, /^Predictor\.predict: input 1: cannot decode the image: /);
    await rejects([good, readFileSync(good).subarray(0, 40)], DataError, /input 1: cannot decode the image/);
    await rejects([good, good, join(dir, 'missing.png')], DataError, /input 2: cannot decode the image: .*missing/i);
    await rejects([{ pixels: [1, 2] }], DataError, /input 0: an image model takes a file path, encoded image bytes or a \[C, H, W\] tensor; got an object/);
    await rejects(folder.images.slice([[0, 1], [0, 1], [0, 27]]), ShapeError, /input 0: expected one sample of shape \[1, ?28, ?28\] or a batch \[N,1,28,28\], got shape \[1, ?1, ?27, ?28\]/);
    await rejects([good, toType(folder.images.slice([[0, 1]]), 'uint8')], DTypeError, /input 1: .*divide 8-bit values by 255/);
  });
});
