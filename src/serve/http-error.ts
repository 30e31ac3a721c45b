/**
 * Errors a request handler answers with a status code and a JSON body
 * `{ "error": { "code", "message", "field"? } }`, where `field` locates the problem in the request
 * (`inputs[2].image`, `topK`, `body`).
 */

/** An error answered as JSON with its status code. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    /** A stable machine-readable code, such as `invalid_input`. */
    readonly code: string,
    message: string,
    /** Where in the request the problem is. */
    readonly field?: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** A 400 for an input the model cannot take, naming the field. */
export function invalidInput(field: string, message: string): HttpError {
  return new HttpError(400, 'invalid_input', `${field}: ${message}`, field);
}

/** The JSON body of an error response. */
export interface ErrorBody {
  error: { code: string; message: string; field?: string };
}

/** The JSON body for `error`. */
export function errorBody({ code, message, field }: Pick<HttpError, 'code' | 'message' | 'field'>): ErrorBody {
  return { error: field === undefined ? { code, message } : { code, message, field } };
}
