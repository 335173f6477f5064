// Errors with a stable machine-readable code; one handler turns them into the API's JSON error shape.

export interface FieldIssue {
  path: string;
  message: string;
}

export class AppError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 410 | 412 | 413 | 415 | 422 | 429 | 500 | 503,
    readonly code: string,
    message: string,
    readonly fields?: FieldIssue[],
  ) {
    super(message);
  }
}

/** Too many attempts: the client may try again after `retryAfter` seconds (sent as Retry-After). */
export class RateLimited extends AppError {
  constructor(
    readonly retryAfter: number,
    message: string,
  ) {
    super(429, 'RateLimited', message);
  }
}

export const validationFailed = (fields: FieldIssue[], message = 'Some fields are not valid') =>
  new AppError(400, 'ValidationFailed', message, fields);
export const unauthenticated = (message = 'Sign in first') => new AppError(401, 'Unauthenticated', message);
export const forbidden = (message = 'You are not allowed to do this') => new AppError(403, 'Forbidden', message);
export const notFound = (what: string) => new AppError(404, 'NotFound', `${what} not found`);
export const conflict = (code: string, message: string, fields?: FieldIssue[]) =>
  new AppError(409, code, message, fields);
/** An If-Match that names a version other than the current one (RFC 9110 13.1.1): nothing was written. */
export const preconditionFailed = (message: string) => new AppError(412, 'PreconditionFailed', message);
