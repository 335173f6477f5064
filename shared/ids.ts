// Ids as the API takes them: positive decimal integers, written one way only. A path or query id is a string of
// digits (no sign, exponent, hex, decimal point or spaces: `/users/0x1` or `/users/1e0` must not read user 1).
import { z } from 'zod';

const DIGITS = /^[1-9][0-9]{0,15}$/;
const message = (label: string) => `${label} must be a positive whole number written with digits only`;

/** An id in a path or query string. */
export const idString = (label = 'The id') =>
  z
    .string()
    .regex(DIGITS, message(label))
    .transform(Number)
    .refine((n) => Number.isSafeInteger(n), message(label));

/** An id that a JSON body gives as a number, or a query string as digits (saved filters hold both). */
export const idValue = (label = 'The id') =>
  z.union([z.number().int().positive().max(Number.MAX_SAFE_INTEGER), idString(label)], { error: message(label) });
