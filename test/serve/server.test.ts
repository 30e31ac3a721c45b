// Real HTTP on localhost against servers started from the sources (their workers run the TypeScript too).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import sharp from 'sharp';
import { ImageNormalizer } from '../../src/data/preprocessing/image-normalizer.js';
import { Pipeline } from '../../src/data/preprocessing/pipeline.js';
import { Table } from '../../src/data/table.js';
import { ArgumentError, ModelFormatError } from '../../src/errors.js';
import { loadModel, type ClassPrediction, type Prediction, type Predictor } from '../../src/infer/predictor.js';
import { saveModel, type ModelFileContent } from '../../src/io/model-file.js';
import { buildModel, type ModelSpec } from '../../src/nn/spec.js';
import { quantizeStatic } from '../../src/compress/quantize/quantize.js';
import { randn } from '../../src/tensor/creation.js';
import { Generator } from '../../src/tensor/random.js';
import { startServer, type RunningServer } from '../../src/serve/server.js';

const dir = mkdtempSync(join(tmpdir(), 'kiln-serve-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Saves a model built from `spec` and returns its path and a Predictor loaded from it (the reference). */
async function makeModel(name: string, spec: ModelSpec, content: Omit<ModelFileContent, 'model'>): Promise<{ path: string; predictor: Predictor }> {
  const path = join(dir, `${name}.kiln`);
  await saveModel(path, { ...content, model: buildModel(spec, { seed: 7 }), metrics: { accuracy: 0.5 }, provenance: { seed: 7 } });
  return { path, predictor: await loadModel(path) };
}

interface Reply {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON of any endpoint
}

async function call(url: string, init?: RequestInit): Promise<Reply> {
  const response = await fetch(url, init);
  const text = await response.text();
  return { status: response.status, body: response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text };
}

const postJson = (url: string, body: unknown): Promise<Reply> =>
  call(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });

/** Asserts an error reply: status, code, and the field it names. */
function assertError(reply: Reply, status: number, code: string, field?: string, message?: RegExp): void {
  assert.equal(reply.status, status, JSON.stringify(reply.body));
  assert.equal(reply.body.error.code, code);
  assert.equal(reply.body.error.field, field);
  assert.equal(typeof reply.body.error.message, 'string');
  if (message) assert.match(reply.body.error.message, message);
}

/** Predictions from the server equal the reference's: same labels and ranking, probabilities to float precision. */
function assertSamePredictions(actual: Prediction[], expected: Prediction[]): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((got, i) => {
    const want = expected[i] as ClassPrediction;
    const p = got as ClassPrediction;
    assert.equal(p.label, want.label);
    assert.equal(p.classIndex, want.classIndex);
    assert.deepEqual(p.topK.map((c) => c.label), want.topK.map((c) => c.label));
    for (const [label, probability] of Object.entries(want.probabilities)) assert.ok(Math.abs(p.probabilities[label]! - probability) < 1e-6, label);
  });
}

/** The value of one sample in a Prometheus exposition (0 when absent). */
function metric(text: string, sample: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
  return line === undefined ? 0 : Number(line.slice(sample.length + 1));
}

/** Polls /metrics until `sample` reaches `value` (true), or until `stop()` (false). */
async function waitForMetric(url: string, sample: string, value: number, stop = (): boolean => false): Promise<boolean> {
  while (!stop()) {
    if (metric((await call(`${url}/metrics`)).body as string, sample) === value) return true;
    await sleep(5);
  }
  return false;
}

const MLP: ModelSpec = { input: [4], layers: [{ type: 'linear', out: 16 }, { type: 'relu' }, { type: 'linear', out: 3 }] };

function randomSample(generator: Generator): number[] {
  const values = new Float64Array(4);
  generator.fillNormal(values);
  return Array.from(values, (v) => Math.round(v * 1000) / 1000);
}

describe('kiln serve: a tensor model', () => {
  let server: RunningServer;
  let predictor: Predictor;
  let url: string;

  before(async () => {
    const model = await makeModel('mlp', MLP, { task: 'classification', labels: ['ant', 'bee', 'cat'], input: { kind: 'tensor', shape: [4] } });
    predictor = model.predictor;
    server = await startServer({ model: model.path, port: 0, maxBodyMb: 0.05 });
    url = server.url;
  });
  after(() => server.close());

  test('50 concurrent clients × 20 requests are answered like Predictor.predict, micro-batched and counted', async () => {
    const generator = new Generator(11);
    const requests = Array.from({ length: 50 }, () =>
      Array.from({ length: 20 }, (_, r) => {
        const samples = Array.from({ length: 1 + (r % 3) }, () => randomSample(generator));
        const topK = r % 4 === 0 ? undefined : 1 + (r % 3);
        const body = r % 2 === 0 ? { inputs: samples, topK } : { input: samples[0], topK };
        return { body, samples: r % 2 === 0 ? samples : [samples[0]!], topK };
      }),
    );
    await Promise.all(
      requests.map(async (client) => {
        for (const { body, samples, topK } of client) {
          const reply = await postJson(`${url}/v1/predict`, body);
          assert.equal(reply.status, 200, JSON.stringify(reply.body));
          assert.deepEqual(reply.body.model, { name: 'mlp.kiln', sha256: server.model.sha256 });
          assertSamePredictions(reply.body.predictions, await predictor.predict(samples, { topK }));
        }
      }),
    );
    const metrics = (await call(`${url}/metrics`)).body as string;
    assert.equal(metric(metrics, 'kiln_http_requests_total{route="/v1/predict",method="POST",status="200"}'), 1000);
    assert.equal(metric(metrics, 'kiln_http_request_duration_seconds_count{route="/v1/predict"}'), 1000);
    const batches = metric(metrics, 'kiln_batch_size_count');
    const samples = requests.flat().reduce((n, r) => n + r.samples.length, 0);
    assert.equal(metric(metrics, 'kiln_batch_size_sum'), samples);
    assert.ok(batches < 1000, `${batches} forward passes for 1000 requests`);
    assert.ok(metric(metrics, 'kiln_batch_size_bucket{le="1"}') < batches, 'some batches held more than one sample');
    assert.ok(metric(metrics, 'kiln_model_load_seconds') > 0);
    assert.equal(metric(metrics, 'kiln_batches_running'), 0);
    assert.equal(metric(metrics, 'kiln_http_requests_in_flight'), 1, 'only the /metrics request itself');
  });

  test('GET /v1/model: task, labels, input spec, shapes, metrics, provenance, parameters, architecture', async () => {
    const { status, body } = await call(`${url}/v1/model`);
    assert.equal(status, 200);
    assert.equal(body.name, 'mlp.kiln');
    assert.match(body.sha256, /^[0-9a-f]{64}$/);
    assert.equal(body.task, 'classification');
    assert.deepEqual(body.labels, ['ant', 'bee', 'cat']);
    assert.deepEqual(body.input, { kind: 'tensor', shape: [4] });
    assert.deepEqual([body.inputShape, body.inputDType, body.outputShape], [[4], 'float32', [3]]);
    assert.equal(body.parameterCount, 4 * 16 + 16 + 16 * 3 + 3);
    assert.deepEqual(body.architecture, MLP);
    assert.deepEqual(body.metrics, { accuracy: 0.5 });
    assert.equal(body.provenance.seed, 7);
    assert.deepEqual(server.model, body);
  });

  test('GET /healthz answers ok', async () => {
    assert.deepEqual(await call(`${url}/healthz`), { status: 200, body: { status: 'ok' } });
  });

  test('malformed JSON, a body that is not an object, unknown, missing or conflicting fields: 400 naming the field', async () => {
    const predict = `${url}/v1/predict`;
    assertError(await postJson(predict, '{"inputs": [[1, 2'), 400, 'invalid_json', 'body');
    assertError(await postJson(predict, [1, 2, 3, 4]), 400, 'invalid_input', 'body', /expected a JSON object/);
    assertError(await postJson(predict, { inputs: [[1, 2, 3, 4]], extra: 1 }), 400, 'invalid_input', 'extra', /unknown field/);
    assertError(await postJson(predict, {}), 400, 'invalid_input', 'inputs', /missing/);
    assertError(await postJson(predict, { input: [1, 2, 3, 4], inputs: [] }), 400, 'invalid_input', 'input', /not both/);
    assertError(await postJson(predict, { inputs: [1, 2, 3, 4] }), 400, 'invalid_input', 'inputs[0]', /expected a list of 4/);
    assertError(await postJson(predict, '{"inputs": [], "__proto__": {"x": 1}}'), 400, 'invalid_json', 'body');
  });

  test('wrong shapes and values name the input and the element', async () => {
    const predict = `${url}/v1/predict`;
    assertError(await postJson(predict, { inputs: [[1, 2, 3, 4], [1, 2, 3]] }), 400, 'invalid_input', 'inputs[1]', /expected a list of 4 .*shape \[4\].*got a list of 3/);
    assertError(await postJson(predict, { input: [1, 2, 'x', 4] }), 400, 'invalid_input', 'input[2]', /must be a number.*got "x"/);
    assertError(await postJson(predict, { input: [[1, 2, 3, 4]] }), 400, 'invalid_input', 'input', /expected a list of 4 .*got a list of 1/);
    assertError(await postJson(predict, { input: [1, 2, [3], 4] }), 400, 'invalid_input', 'input[2]', /must be a number.*got a list/);
    assertError(await postJson(predict, { inputs: [null] }), 400, 'invalid_input', 'inputs[0]', /got null/);
    assertError(await postJson(predict, { inputs: [{ image: 'aGk=' }] }), 400, 'invalid_input', 'inputs[0]', /got an object/);
  });

  test('an empty batch, a batch over --max-batch, and a bad topK are 400s', async () => {
    const predict = `${url}/v1/predict`;
    assertError(await postJson(predict, { inputs: [] }), 400, 'invalid_input', 'inputs', /empty/);
    assertError(await postJson(predict, { inputs: Array.from({ length: 33 }, () => [0, 0, 0, 0]) }), 400, 'invalid_input', 'inputs', /33 inputs are more than the 32/);
    for (const topK of [0, 1.5, 'x', null]) {
      assertError(await postJson(predict, { input: [1, 2, 3, 4], topK }), 400, 'invalid_input', 'topK', /whole number/);
    }
    assertError(await postJson(`${predict}?topK=0`, { input: [1, 2, 3, 4] }), 400, 'invalid_input', 'topK');
    assertError(await postJson(`${predict}?topk=2`, { input: [1, 2, 3, 4] }), 400, 'invalid_input', 'topk', /unknown query parameter/);
  });

  test('topK from the query string, or the body (which wins)', async () => {
    const fromQuery = await postJson(`${url}/v1/predict?topK=1`, { input: [1, 2, 3, 4] });
    assert.equal(fromQuery.body.predictions[0].topK.length, 1);
    const fromBody = await postJson(`${url}/v1/predict?topK=1`, { input: [1, 2, 3, 4], topK: 3 });
    assert.equal(fromBody.body.predictions[0].topK.length, 3);
  });

  test('a body over --max-body-mb is a 413; another content type a 415; multipart a 415 for a tensor model', async () => {
    const big = { inputs: Array.from({ length: 30 }, () => Array.from({ length: 4 }, () => 0.1234567890123)), padding: 'x'.repeat(60_000) };
    assertError(await postJson(`${url}/v1/predict`, big), 413, 'body_too_large', 'body', /52428-byte limit/);
    assertError(await call(`${url}/v1/predict`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '1,2,3,4' }), 415, 'unsupported_media_type', 'body');
    const form = new FormData();
    form.append('image', new Blob([new Uint8Array([1, 2, 3])]), 'x.png');
    assertError(await call(`${url}/v1/predict`, { method: 'POST', body: form }), 415, 'unsupported_media_type', 'body', /this model takes tensor inputs/);
  });

  test('unknown routes and methods are JSON 404s; errors are counted by code', async () => {
    assertError(await call(`${url}/v2/predict?x=1`), 404, 'not_found', undefined, /no endpoint GET \/v2\/predict;/);
    assertError(await call(`${url}/v1/predict`), 404, 'not_found');
    const metrics = (await call(`${url}/metrics`)).body as string;
    assert.ok(metric(metrics, 'kiln_http_errors_total{route="unmatched",code="not_found"}') >= 2);
    assert.ok(metric(metrics, 'kiln_http_errors_total{route="/v1/predict",code="invalid_input"}') > 5);
    assert.equal(metric(metrics, 'kiln_http_errors_total{route="/v1/predict",code="body_too_large"}'), 1);
    assert.ok(metric(metrics, 'kiln_http_requests_total{route="/v1/predict",method="POST",status="400"}') > 5);
  });
});

describe('kiln serve: an image model (8×8 grayscale CNN)', () => {
  let server: RunningServer;
  let predictor: Predictor;
  let url: string;
  let png: Buffer;
  let jpeg: Buffer;

  before(async () => {
    const spec: ModelSpec = {
      input: [1, 8, 8],
      layers: [{ type: 'conv2d', out: 4, kernel: 3 }, { type: 'relu' }, { type: 'maxPool2d', kernel: 2 }, { type: 'flatten' }, { type: 'linear', out: 3 }],
    };
    const normalize = new ImageNormalizer({ mean: [0.4], std: [0.25] }).toJSON();
    const model = await makeModel('cnn', spec, { task: 'classification', labels: ['dot', 'line', 'ring'], input: { kind: 'image', channels: 1, size: [8, 8], fit: 'fill', normalize } });
    predictor = model.predictor;
    const pixels = (seed: number): Buffer => Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 37 + seed * 101) % 256));
    png = await sharp(pixels(1), { raw: { width: 8, height: 8, channels: 1 } }).png().toBuffer();
    // A larger colour JPEG: the server resizes and converts it as the model's input spec says.
    jpeg = await sharp(pixels(2), { raw: { width: 16, height: 4, channels: 1 } }).toColourspace('srgb').jpeg().toBuffer();
    server = await startServer({ model: model.path, port: 0, maxBatch: 4, maxBodyMb: 0.01 });
    url = server.url;
  });
  after(() => server.close());

  test('base64 images (plain or data: URLs) are predicted like Predictor.predict on their bytes', async () => {
    const reply = await postJson(`${url}/v1/predict`, { inputs: [{ image: png.toString('base64') }, { image: `data:image/jpeg;base64,${jpeg.toString('base64')}` }], topK: 2 });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    assertSamePredictions(reply.body.predictions, await predictor.predict([png, jpeg], { topK: 2 }));
    const single = await postJson(`${url}/v1/predict`, { input: { image: png.toString('base64url') } });
    assertSamePredictions(single.body.predictions, await predictor.predict([png]));
  });

  test('multipart uploads: files in "image" or "file" fields, with a topK field', async () => {
    const form = new FormData();
    form.append('topK', '1');
    form.append('image', new Blob([png], { type: 'image/png' }), 'a.png');
    form.append('file', new Blob([jpeg], { type: 'image/jpeg' }), 'b.jpg');
    form.append('image', new Blob([png], { type: 'image/png' }), 'c.png');
    const reply = await call(`${url}/v1/predict`, { method: 'POST', body: form });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    assertSamePredictions(reply.body.predictions, await predictor.predict([png, jpeg, png], { topK: 1 }));
  });

  test('undecodable or non-base64 images, unknown fields, too many files: 400 naming the field', async () => {
    const predict = `${url}/v1/predict`;
    const garbage = Buffer.from('definitely not an image');
    assertError(await postJson(predict, { inputs: [{ image: png.toString('base64') }, { image: garbage.toString('base64') }] }), 400, 'invalid_input', 'inputs[1].image', /cannot decode the image/);
    assertError(await postJson(predict, { input: { image: 'not base64!' } }), 400, 'invalid_input', 'input.image', /not base64/);
    assertError(await postJson(predict, { input: { image: 42 } }), 400, 'invalid_input', 'input.image', /string of base64/);
    assertError(await postJson(predict, { input: { image: png.toString('base64'), label: 'x' } }), 400, 'invalid_input', 'input.label', /unknown field/);
    assertError(await postJson(predict, { input: '/etc/passwd' }), 400, 'invalid_input', 'input', /takes \{ "image"/);
    const form = (entries: [string, Blob | string][]): FormData => {
      const data = new FormData();
      for (const [name, value] of entries) data.append(name, value as Blob);
      return data;
    };
    const file = (bytes: Buffer): Blob => new Blob([bytes]);
    const upload = (data: FormData): Promise<Reply> => call(predict, { method: 'POST', body: data });
    assertError(await upload(form([['image', file(png)], ['image', file(garbage)]])), 400, 'invalid_input', 'files[1]', /cannot decode the image/);
    assertError(await upload(form([['picture', file(png)]])), 400, 'invalid_input', 'picture', /unknown form field/);
    assertError(await upload(form([['note', 'hi']])), 400, 'invalid_input', 'note', /unknown form field/);
    assertError(await upload(form([['topK', '2']])), 400, 'invalid_input', 'image', /no image files/);
    assertError(await upload(form(Array.from({ length: 5 }, (): [string, Blob] => ['image', file(png)]))), 400, 'invalid_input', 'files', /more than the 4 files/);
  });

  test('--max-body-mb bounds a JSON body, each uploaded file, and all files together: 413', async () => {
    const predict = `${url}/v1/predict`;
    const padded = Buffer.concat([png, Buffer.alloc(6000)]);
    assertError(await postJson(predict, { inputs: [{ image: padded.toString('base64') }, { image: padded.toString('base64') }] }), 413, 'body_too_large', 'body', /10485-byte limit/);
    const upload = (...files: Buffer[]): Promise<Reply> => {
      const data = new FormData();
      for (const bytes of files) data.append('image', new Blob([bytes]), 'big.png');
      return call(predict, { method: 'POST', body: data });
    };
    assertError(await upload(Buffer.concat([png, Buffer.alloc(12_000)])), 413, 'body_too_large', 'body');
    assertError(await upload(padded, padded), 413, 'body_too_large', 'files[1]', /exceed the 10485-byte limit together/);
    assert.equal((await upload(padded)).status, 200, 'trailing bytes after the PNG are ignored by the decoder');
  });
});

describe('kiln serve: a tabular model (fitted pipeline)', () => {
  let server: RunningServer;
  let predictor: Predictor;
  let url: string;
  const records = [{ age: 35, city: 'Bergen', income: 150 }, { age: null, city: 'Oslo', income: 120 }, { age: 61, city: 'Oslo', income: null }];

  before(async () => {
    const table = Table.fromRecords(
      [
        { age: 30, city: 'Oslo', income: 100, label: 'no' },
        { age: 50, city: 'Bergen', income: null, label: 'yes' },
        { age: null, city: 'Oslo', income: 300, label: 'maybe' },
        { age: 40, city: 'Bergen', income: 200, label: 'no' },
      ],
      { target: 'label' },
    );
    const pipeline = new Pipeline().fit(table);
    const spec: ModelSpec = { input: [pipeline.featureNames().length], layers: [{ type: 'linear', out: 8 }, { type: 'relu' }, { type: 'linear', out: 3 }] };
    const model = await makeModel('tabular', spec, { task: 'classification', labels: ['maybe', 'no', 'yes'], input: { kind: 'tabular', pipeline: pipeline.toJSON() } });
    predictor = model.predictor;
    server = await startServer({ model: model.path, port: 0 });
    url = server.url;
  });
  after(() => server.close());

  test('records are predicted through the saved pipeline, like Predictor.predict', async () => {
    const reply = await postJson(`${url}/v1/predict`, { inputs: records });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    assertSamePredictions(reply.body.predictions, await predictor.predict(records));
    const model = await call(`${url}/v1/model`);
    assert.equal(model.body.input.kind, 'tabular');
    assert.deepEqual(model.body.input.pipeline.inputs.map((c: { name: string }) => c.name), ['age', 'city', 'income']);
  });

  test('a missing or unknown field, a bad value, an unseen category, or a non-record: 400 naming the field', async () => {
    const predict = `${url}/v1/predict`;
    assertError(await postJson(predict, { inputs: [records[0], { age: 1, city: 'Oslo' }] }), 400, 'invalid_input', 'inputs[1].income', /no field 'income'/);
    assertError(await postJson(predict, { input: { ...records[0], colour: 'red' } }), 400, 'invalid_input', 'input.colour', /unknown field 'colour'/);
    assertError(await postJson(predict, { input: { ...records[0], age: [1] } }), 400, 'invalid_input', 'input.age', /must be/);
    assertError(await postJson(predict, { input: { ...records[0], city: 'Paris' } }), 400, 'invalid_input', 'input.city', /'Paris'/);
    assertError(await postJson(predict, { inputs: [[1, 2, 3]] }), 400, 'invalid_input', 'inputs[0]', /takes a record/);
  });
});

describe('kiln serve: inference runs off the event loop', () => {
  test('/healthz and /metrics answer while the worker computes a large batch', async () => {
    const spec: ModelSpec = { input: [8], layers: [{ type: 'linear', out: 1024 }, { type: 'relu' }, { type: 'linear', out: 1024 }, { type: 'relu' }, { type: 'linear', out: 4 }] };
    const { path } = await makeModel('wide', spec, { task: 'regression', labels: null, input: { kind: 'tensor', shape: [8] } });
    const server = await startServer({ model: path, port: 0, maxBatch: 32768 });
    try {
      // Larger batches until one is caught computing, so a fast machine cannot finish before /healthz is asked.
      for (let size = 2048; size <= 32768; size *= 2) {
        const samples = Array.from({ length: size }, (_, i) => Array.from({ length: 8 }, (_, j) => ((i * 8 + j) % 17) / 17));
        let answered = false;
        const big = postJson(`${server.url}/v1/predict`, { inputs: samples }).then((reply) => {
          answered = true;
          return reply;
        });
        const caught = await waitForMetric(server.url, 'kiln_batches_running', 1, () => answered);
        const health = caught ? await call(`${server.url}/healthz`) : undefined;
        const stillComputing = caught && !answered;
        const reply = await big;
        assert.equal(reply.status, 200);
        assert.equal(reply.body.predictions.length, size);
        if (stillComputing) {
          assert.deepEqual(health, { status: 200, body: { status: 'ok' } });
          return;
        }
      }
      assert.fail('no batch was ever caught computing');
    } finally {
      await server.close();
    }
  });
});

describe('kiln serve: an int8 model', () => {
  test('a quantized model file is served as is: predictions equal its Predictor, /v1/model describes it', async () => {
    const float = buildModel(MLP, { seed: 7 });
    const calibration = randn([64, 4], { generator: new Generator(3) });
    const path = join(dir, 'mlp.int8.kiln');
    await saveModel(path, { model: quantizeStatic(float, calibration), task: 'classification', labels: ['ant', 'bee', 'cat'], input: { kind: 'tensor', shape: [4] } });
    const predictor = await loadModel(path);
    const server = await startServer({ model: path, port: 0 });
    try {
      const inputs = Array.from({ length: 5 }, (_, i) => randomSample(new Generator(10 + i)));
      const reply = await postJson(`${server.url}/v1/predict`, { inputs });
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
      assertSamePredictions(reply.body.predictions, await predictor.predict(inputs));
      const info = await call(`${server.url}/v1/model`);
      assert.equal(info.body.parameterCount, predictor.model.parameterCount());
      assert.deepEqual(info.body.outputShape, [3]);
      assert.deepEqual(info.body.quantization, { mode: 'static', method: 'percentile', calibrationSamples: 64 });
    } finally {
      await server.close();
    }
  });
});

describe('kiln serve: graceful shutdown and startup errors', () => {
  test('close() answers the request in flight (sending its batch at once), then refuses connections', async () => {
    const { path, predictor } = await makeModel('shutdown', MLP, { task: 'classification', labels: null, input: { kind: 'tensor', shape: [4] } });
    // A minute's wait: only the drain on close can send this batch before the test times out.
    const server = await startServer({ model: path, port: 0, maxWaitMs: 60_000 });
    const pending = postJson(`${server.url}/v1/predict`, { input: [1, 2, 3, 4] });
    await waitForMetric(server.url, 'kiln_batch_queue_samples', 1);
    const closed = server.close();
    assert.equal(server.close(), closed, 'close() again returns the same promise');
    const reply = await pending;
    assert.equal(reply.status, 200);
    assertSamePredictions(reply.body.predictions, await predictor.predict([[1, 2, 3, 4]]));
    await closed;
    await assert.rejects(fetch(`${server.url}/healthz`));
  });

  test('a missing or corrupt model file, or a bad option, fails to start', async () => {
    await assert.rejects(startServer({ model: join(dir, 'missing.kiln'), port: 0 }), (e: Error) => e instanceof ModelFormatError && /missing\.kiln: cannot read the file/.test(e.message));
    const corrupt = join(dir, 'corrupt.kiln');
    writeFileSync(corrupt, 'not a model');
    await assert.rejects(startServer({ model: corrupt, port: 0 }), ModelFormatError);
    await assert.rejects(startServer({ model: corrupt, maxBatch: 0 }), (e: Error) => e instanceof ArgumentError && /maxBatch \(--max-batch\) must be a whole number from 1/.test(e.message));
  });
});
