// The common shape every reader produces: numbered rows of cells, whatever the file format.

/** Text, a number (a date column reads it as a spreadsheet serial date), or a formula (refused). */
export type Cell = string | number | { formula: string } | null;

export interface SheetRow {
  /** The row's number in the file (1-based). */
  row: number;
  cells: Cell[];
}

/** Spreadsheets keep at most this many columns of a user row; more are ignored. */
export const MAX_COLUMNS = 200;

/** A cell as the preview and the bad-rows file show it (a formula as `=` and its text). */
export function cellText(cell: Cell | undefined): string {
  if (cell === null || cell === undefined) return '';
  if (typeof cell === 'object') return `=${cell.formula}`;
  return String(cell);
}

/** A phone cell that is a number alone (which an extension could be), as that number. */
export function phoneNumber(cell: Cell | undefined): number | null {
  if (typeof cell !== 'string' && typeof cell !== 'number') return null;
  const digits = String(cell).trim();
  return /^\d+$/.test(digits) ? Number(digits) : null;
}
