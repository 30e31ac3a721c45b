/**
 * Decoding a request's inputs into the samples the model takes, with the model's own preprocessing
 * (image decoding and resizing, the tabular pipeline). It runs on the server's thread: images decode on
 * libuv's thread pool and records and numbers are quick, so the worker threads only compute. Each input
 * is decoded on its own, so an error names the input (and the record field) at fault.
 */
import type { NumericArray } from '../backend/backend.js';
import { KilnError } from '../errors.js';
import { InputDecoder } from '../infer/inputs.js';
import type { InputSpec } from '../io/model-file.js';
import { allocate } from '../tensor/dtype.js';
import { invalidInput } from './http-error.js';
import type { ModelInfo } from './model-info.js';
import type { RequestInput } from './predict-request.js';

/** Turns request inputs into one array of samples `[N, ...inputShape]`, flattened. */
export class SampleDecoder {
  private readonly decoder: InputDecoder;

  constructor(private readonly info: ModelInfo) {
    const { input } = info;
    // Images stay pixels in [0, 1]: the worker's Predictor normalizes every image batch, as it does in predict.
    const spec: InputSpec = input.kind === 'image' ? { kind: 'image', channels: input.channels, size: input.size, fit: input.fit } : input;
    this.decoder = new InputDecoder(spec, info.inputShape, info.inputDType);
  }

  /**
   * The samples of `inputs`, one per input, in order.
   * @throws HttpError 400 naming the input (and the record field) that cannot be decoded
   */
  async decode(inputs: readonly RequestInput[]): Promise<NumericArray> {
    const rows = await Promise.all(
      inputs.map(async ({ value, field }) => {
        try {
          return (await this.decoder.decode([value])).contiguousData();
        } catch (error) {
          throw inputError(field, error);
        }
      }),
    );
    const samples = allocate(this.info.inputDType, rows.reduce((n, row) => n + row.length, 0));
    let offset = 0;
    for (const row of rows) {
      samples.set(row, offset);
      offset += row.length;
    }
    return samples;
  }
}

/** A decoding error as a 400 naming the field; anything that is not a Kiln error is a bug and stays a 500. */
function inputError(field: string, error: unknown): unknown {
  if (!(error instanceof KilnError)) return error;
  // The decoder names the input by its index in the call, which is always 0 here; the field says where it is.
  const message = error.message.replace(/^Predictor\.predict: input \d+: /, '');
  const recordField = /(?:field|column) '([^']+)'/.exec(message)?.[1];
  return invalidInput(recordField === undefined ? field : `${field}.${recordField}`, message);
}
