// What an import reports: errors that refuse a whole file, and per-row problems that name the row and column.
import { AppError } from '../../errors.js';

/** A file that cannot be imported at all: a clear message, nothing written. */
export const importError = (code: string, message: string) => new AppError(422, code, message);

export type ProblemCode =
  | 'MissingRequired'
  | 'BadUsername'
  | 'BadEmail'
  | 'UnknownProfile'
  | 'BadDate'
  | 'DatesOutOfOrder'
  | 'DuplicateInFile'
  | 'UsernameTaken'
  | 'BadTimeZone'
  | 'BadLanguage'
  | 'BadPhone'
  | 'PasswordPolicy'
  | 'TooLong'
  | 'BadCharacter'
  | 'Formula'
  | 'OwnerProtected'
  | 'NoFreeExtension';

export interface RowProblem {
  /** The row's number in the file, as a spreadsheet shows it (the header is row 1). */
  row: number;
  /** The column's letter in the file (A, B, ...), or null when the problem is the row's. */
  column: string | null;
  /** The field, as the seed names it (Username, Full Name, ...). */
  field: string | null;
  code: ProblemCode;
  message: string;
}

export function columnLetter(index: number): string {
  let n = index + 1;
  let out = '';
  while (n > 0) {
    const rem = (n - 1) % 26;
    out = String.fromCharCode(65 + rem) + out;
    n = Math.floor((n - 1) / 26);
  }
  return out;
}

export function columnIndex(letters: string): number {
  let n = 0;
  for (let i = 0; i < letters.length; i++) n = n * 26 + (letters.charCodeAt(i) - 64);
  return n - 1;
}
