// SCIM's error response (RFC 7644, section 3.12): every failure of the /scim/v2 routes leaves in this shape, with the
// scimType that tells an identity provider what to fix (a uniqueness conflict, an attribute it may not change...).
import { AppError } from '../errors.js';
import { ScimFilterError } from './filter.js';

export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

export type ScimType =
  | 'invalidFilter'
  | 'tooMany'
  | 'uniqueness'
  | 'mutability'
  | 'invalidSyntax'
  | 'invalidPath'
  | 'noTarget'
  | 'invalidValue'
  | 'invalidVers'
  | 'sensitive';

export class ScimError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 412 | 413 | 415 | 429 | 500 | 501,
    message: string,
    readonly scimType?: ScimType,
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

export const invalidValue = (message: string) => new ScimError(400, message, 'invalidValue');
export const invalidSyntax = (message: string) => new ScimError(400, message, 'invalidSyntax');
export const invalidPath = (message: string) => new ScimError(400, message, 'invalidPath');
export const noTarget = (message: string) => new ScimError(400, message, 'noTarget');
export const mutability = (message: string) => new ScimError(400, message, 'mutability');
export const scimNotFound = (what: string, id: string) => new ScimError(404, `${what} ${id} not found`);

/** The body of a SCIM error response. */
export function errorBody(error: ScimError) {
  return {
    schemas: [ERROR_SCHEMA],
    status: String(error.status),
    ...(error.scimType ? { scimType: error.scimType } : {}),
    detail: error.message,
  };
}

/**
 * Any failure as a SCIM error: the services' AppErrors keep their status and message, their field names turned into
 * SCIM attribute names by `attributeOf`; anything unexpected is a 500 that says nothing more.
 */
export function toScimError(caught: unknown, attributeOf: (field: string) => string): ScimError | null {
  if (caught instanceof ScimError) return caught;
  if (caught instanceof ScimFilterError) {
    return new ScimError(400, `Invalid filter at character ${caught.at + 1}: ${caught.message}`, 'invalidFilter');
  }
  if (caught instanceof AppError) {
    const fields = (caught.fields ?? []).map((f) => `${attributeOf(f.path)}: ${f.message}`);
    const detail = fields.length > 0 ? fields.join('; ') : caught.message;
    switch (caught.status) {
      case 400:
      case 422:
        return new ScimError(400, detail, 'invalidValue');
      case 409:
        return new ScimError(
          409,
          detail,
          /taken|exists|unique/i.test(caught.message + caught.code) ? 'uniqueness' : undefined,
        );
      case 401:
      case 403:
      case 404:
      case 412:
      case 413:
      case 415:
        return new ScimError(caught.status, detail);
      case 429:
        return new ScimError(429, detail, undefined, (caught as { retryAfter?: number }).retryAfter);
      default:
        return null;
    }
  }
  return null;
}
