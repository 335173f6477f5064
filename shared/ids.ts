// Ids as the API takes them: positive decimal integers no larger than the databases' integer columns hold, written
// one way only. A path or query id is a string of digits (no sign, exponent, hex, decimal point or spaces:
// `/users/0x1` or `/users/1e0` must not read user 1).
import { z } from 'zod';

/** The largest id a PostgreSQL `integer` column holds (SQLite's hold more; both are held to this). */
export const MAX_ID = 2_147_483_647;

const DIGITS = /^[1-9][0-9]{0,9}$/;
const message = (label: string) => `${label} must be a positive whole number written with digits only`;

/** An id in a JSON body. */
export const bodyId = () => z.number().int().positive().max(MAX_ID, `Must be at most ${MAX_ID}`);

/** An id in a path or query string. */
export const idString = (label = 'The id') =>
  z
    .string()
    .regex(DIGITS, message(label))
    .transform(Number)
    .refine((n) => n <= MAX_ID, `${label} must be at most ${MAX_ID}`);

/** An id that a JSON body gives as a number, or a query string as digits (saved filters hold both). */
export const idValue = (label = 'The id') => z.union([bodyId(), idString(label)], { error: message(label) });

/**
 * An id written as decimal digits (leading zeros allowed, as SCIM clients send what they were given) that an id column
 * can hold; null otherwise: a larger number would fail inside PostgreSQL rather than name nobody.
 */
export function idFromDigits(text: string): number | null {
  if (!/^\d{1,12}$/.test(text)) return null;
  const id = Number(text);
  return id <= MAX_ID ? id : null;
}
