// The API's one error shape, as every route answers it (a 4xx or 5xx with a stable code).
import { z } from 'zod';

export const FieldErrorSchema = z.object({ path: z.string(), message: z.string() });
export type FieldError = z.output<typeof FieldErrorSchema>;

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().meta({ example: 'ValidationFailed' }),
      message: z.string(),
      fields: z.array(FieldErrorSchema).optional().describe('Every invalid field, when the input is to blame'),
    }),
  })
  .meta({ id: 'Error' });
export type ErrorBody = z.output<typeof ErrorSchema>;
