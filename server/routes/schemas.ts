// What routes put in the OpenAPI document: path parameters, the error responses, and helpers for bodies and
// downloads. The response schemas themselves live in shared/responses/ (the console's types come from them too).
import { z } from '@hono/zod-openapi';
import { idString } from '../../shared/ids.js';
import { ErrorSchema } from '../../shared/responses/errors.js';

export { AuditEventSchema, AuditPageSchema } from '../../shared/responses/audit.js';
export { ErrorSchema } from '../../shared/responses/errors.js';
export { SessionSchema } from '../../shared/responses/session.js';
export {
  FacetsSchema,
  SavedFilterListSchema,
  SavedFilterSchema,
  UserListItemSchema,
  UserListSchema,
  UserSchema,
} from '../../shared/responses/users.js';

/** An id path parameter (digits only; anything else is a 400 naming it). */
export const idParam = (name: string, example = 42) =>
  idString(`The ${name} in the path`).openapi({ param: { name, in: 'path' }, example: String(example) });

export const IdParams = z.object({ id: idParam('id') });

export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { 'application/json': { schema } },
  description,
});

export const errors = {
  400: json(ErrorSchema, 'Invalid input; `fields` names each field (or MalformedJson: a body that is not UTF-8 JSON)'),
  401: json(ErrorSchema, 'Not signed in'),
  403: json(ErrorSchema, 'Not allowed'),
  413: json(ErrorSchema, 'The body is larger than the limit (PayloadTooLarge: 1 MB, 8 MB for batches)'),
  415: json(ErrorSchema, 'The body is not application/json (UnsupportedMediaType)'),
};

/** An operation on one thing of the account: another account's, or none, is the same 404. */
export const missing = (what: string) => ({ 404: json(ErrorSchema, `No such ${what} in your account`) });

/** An operation the current state can refuse (name taken, in use, protected): 409 with a stable code. */
export const conflicting = (description: string) => ({ 409: json(ErrorSchema, description) });

export const body = <T extends z.ZodType>(schema: T) => ({
  required: true,
  content: { 'application/json': { schema } },
});

export const csv = { content: { 'text/csv': { schema: z.string() } }, description: 'CSV file' };

export const xlsx = {
  content: {
    'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': {
      schema: z.string().openapi({ format: 'binary' }),
    },
  },
  description: 'XLSX workbook',
};
