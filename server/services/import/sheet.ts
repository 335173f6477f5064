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
