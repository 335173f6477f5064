// The rules of a whole import over its rows, a batch at a time: each row's column rules, usernames repeated in the
// file, and usernames the account already has (an error when only creating; an update when creating and updating).
import { IMPORT_FIELD_LABELS, type ImportMapping, type ImportMode } from '../../../shared/import-schemas.js';
import type { AccountPasswordRules } from '../password-policy.js';
import type { UserRow } from '../user-presenter.js';
import { columnLetter, type RowProblem } from './problems.js';
import type { SheetRow } from './sheet.js';
import { DEFAULT_PASSWORD_RULES, type ImportedUser, type ProfileCatalog, validateRow } from './validate.js';

export interface CheckedRow {
  row: number;
  cells: SheetRow['cells'];
  user: ImportedUser | null;
  problems: RowProblem[];
  existing: UserRow | null;
}

export type Lookup = (usernames: string[]) => Promise<Map<string, UserRow>>;

/** Looks nothing up: creating only, a username the account already has is found by the insert itself. */
export const NO_LOOKUP: Lookup = async () => new Map();

export class RowChecker {
  private readonly seen = new Map<string, number>();
  private readonly usernameColumn: string | null;

  constructor(
    private readonly mapping: ImportMapping,
    private readonly mode: ImportMode,
    private readonly profiles: ProfileCatalog,
    private readonly passwords: AccountPasswordRules = DEFAULT_PASSWORD_RULES,
  ) {
    const index = mapping.indexOf('username');
    this.usernameColumn = index < 0 ? null : columnLetter(index);
  }

  async check(rows: SheetRow[], lookup: Lookup): Promise<CheckedRow[]> {
    const checked: CheckedRow[] = rows.map(({ row, cells }) => {
      const verdict = validateRow(row, cells, this.mapping, this.profiles, this.passwords);
      const username = verdict.user?.username;
      if (username) {
        const first = this.seen.get(username);
        if (first !== undefined) {
          verdict.problems.push(this.problem(row, 'DuplicateInFile', `Username ${username} is also in row ${first}`));
          verdict.user = null;
        } else this.seen.set(username, row);
      }
      return { row, cells, user: verdict.user, problems: verdict.problems, existing: null };
    });
    const usernames = checked.flatMap((c) => (c.user ? [c.user.username] : []));
    const existing = usernames.length > 0 ? await lookup(usernames) : new Map<string, UserRow>();
    for (const c of checked) {
      const match = c.user && existing.get(c.user.username);
      if (!c.user || !match) continue;
      if (this.mode === 'create') {
        c.problems.push(
          this.problem(c.row, 'UsernameTaken', `Username ${c.user.username} already exists in the account`),
        );
        c.user = null;
      } else if (match.is_owner === 1) {
        c.problems.push(this.problem(c.row, 'OwnerProtected', 'The account owner cannot be changed by an import'));
        c.user = null;
      } else c.existing = match;
    }
    return checked;
  }

  /**
   * Checks batch after batch, one ahead: a batch's rows are checked and its lookup sent before the previous batch is
   * handed over, so the database looks one batch up while this process checks the next.
   */
  async *checkAhead(batches: AsyncIterable<SheetRow[]>, lookup: Lookup): AsyncGenerator<CheckedRow[]> {
    let pending: Promise<CheckedRow[]> | null = null;
    for await (const batch of batches) {
      const next = this.check(batch, lookup);
      // Awaited on the next turn; a failure meanwhile is not an unhandled one.
      next.catch(() => undefined);
      if (pending) yield await pending;
      pending = next;
    }
    if (pending) yield await pending;
  }

  private problem(row: number, code: RowProblem['code'], message: string): RowProblem {
    return { row, column: this.usernameColumn, field: IMPORT_FIELD_LABELS.username, code, message };
  }
}
