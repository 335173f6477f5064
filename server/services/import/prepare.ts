// Turns a batch of staged rows into what the write phase stores: each row checked again, new users' rows with a free
// extension and a generated password (or the password the file gives, hashed), and the rows to update. Work on the
// rows alone, with no database, so that it can run in a thread beside the writes (see prepare-thread.ts).
import type { ImportMapping, ImportMode } from '../../../shared/import-schemas.js';
import { minimumLength, passwordProblems } from '../../../shared/password-policy.js';
import { csvLine } from '../../http/csv.js';
import { DepartmentSpelling } from '../department-key.js';
import { type AccountPasswordRules, contextFor } from '../password-policy.js';
import { hashGeneratedPassword, hashPassword, PasswordGenerator } from '../passwords.js';
import { derivedColumns, type UserRow } from '../user-presenter.js';
import { type Lookup, RowChecker } from './check.js';
import type { RowProblem } from './problems.js';
import type { SheetRow } from './sheet.js';
import { DEFAULT_PASSWORD_RULES, type ImportedUser, type ProfileCatalog, profileCatalog } from './validate.js';
import type { NewCredential, NewUser } from './write.js';

/** An import that stops: nothing is written, and the message (naming the row) is the job's. */
export class Aborted extends Error {}

/** Free extensions in the account's range: numbers from `first` to `last` that are not in `used`. */
export interface ExtensionRange {
  first: number;
  last: number;
  used: number[];
}

/** What preparing needs to know of the job, as plain data (it crosses to a thread). */
export interface PrepareJob {
  accountId: number;
  mapping: ImportMapping;
  mode: ImportMode;
  partial: boolean;
  /** When the import started: every new user's creation time. */
  at: string;
  /** The profiles the importing admin may give, by lower-case name. */
  profiles: [string, number][];
  /** The account's departments: a row naming one in another case or accents gets its spelling. */
  departments?: string[];
  extensions: ExtensionRange;
  /** The account's password policy: given passwords must meet it, and generated ones are made to. */
  passwords?: AccountPasswordRules;
}

export interface PreparedBatch {
  inserts: NewUser[];
  /** One a row of `inserts` (null until a given password is hashed). */
  credentials: (NewCredential | null)[];
  /** The file's row number of each insert, for messages. */
  rowNumbers: number[];
  /** The generated password of each insert as a line of the passwords file, or ''. */
  passwordLines: string[];
  updates: { existing: UserRow; user: ImportedUser }[];
  departments: string[];
  /** Bad rows left out ("import the good rows"). */
  skipped: number;
  /** Rows of the file this batch covers. */
  rows: number;
}

export class BatchPreparer {
  private readonly checker: RowChecker;
  private readonly passwords = new PasswordGenerator();
  private readonly profiles: ProfileCatalog;
  private readonly departments: DepartmentSpelling;
  private readonly used: Set<number>;
  private nextExtension: number;

  constructor(private readonly job: PrepareJob) {
    this.profiles = profileCatalog(job.profiles);
    this.departments = new DepartmentSpelling(job.departments ?? []);
    this.checker = new RowChecker(job.mapping, job.mode, this.profiles, job.passwords);
    this.used = new Set(job.extensions.used);
    this.nextExtension = job.extensions.first;
  }

  private extension(): string | null {
    const { last } = this.job.extensions;
    while (this.nextExtension <= last && this.used.has(this.nextExtension)) this.nextExtension++;
    if (this.nextExtension > last) return null;
    return String(this.nextExtension++);
  }

  async prepare(batch: SheetRow[], lookup: Lookup): Promise<PreparedBatch> {
    const checked = await this.checker.check(batch, lookup);
    const out: PreparedBatch = {
      inserts: [],
      credentials: [],
      rowNumbers: [],
      passwordLines: [],
      updates: [],
      departments: [],
      skipped: 0,
      rows: batch.length,
    };
    const departments = new Set<string>();
    const given: Promise<void>[] = [];
    for (const row of checked) {
      if (row.user?.department) {
        row.user.department = this.departments.of(row.user.department);
        departments.add(row.user.department);
      }
      if (!row.user) {
        if (!this.job.partial) throw new Aborted(`Row ${row.row}: ${describeProblems(row.problems)}`);
        out.skipped++;
        continue;
      }
      if (row.existing) {
        out.updates.push({ existing: row.existing, user: row.user });
        continue;
      }
      const user = row.user;
      const phone = user.phone ?? this.extension();
      if (phone === null) {
        throw new Aborted("No free extension is left in the account's range: widen it in the import settings");
      }
      out.inserts.push(newUserRow(this.job, user, phone, this.profiles));
      out.rowNumbers.push(row.row);
      const index = out.credentials.length;
      out.credentials.push(null);
      if (user.password !== undefined) {
        out.passwordLines.push('');
        given.push(
          hashPassword(user.password).then((hash) => {
            out.credentials[index] = { passwordHash: hash };
          }),
        );
      } else {
        const rules = this.job.passwords ?? DEFAULT_PASSWORD_RULES;
        const owner = { username: user.username, email: user.email ?? null, accessType: 'standard', isOwner: false };
        // Long enough for the policy (16 random characters at least), and meeting its every rule (random characters
        // are on no breached list).
        const length = Math.max(16, minimumLength(rules.policy) + 1);
        const context = contextFor(rules, owner);
        let password = this.passwords.next(length);
        while (passwordProblems(password, context, rules.policy).length > 0) password = this.passwords.next(length);
        out.credentials[index] = { passwordHash: hashGeneratedPassword(password, this.passwords.salt()) };
        out.passwordLines.push(csvLine([user.username, password]));
      }
    }
    await Promise.all(given);
    out.departments = [...departments];
    return out;
  }
}

export function describeProblems(problems: RowProblem[]): string {
  return problems.map((p) => (p.column ? `${p.column}: ${p.message}` : p.message)).join('; ');
}

/** The row of a new user (one literal: this runs for every row of a big import). */
function newUserRow(job: PrepareJob, user: ImportedUser, phone: string, profiles: ProfileCatalog): NewUser {
  const fields = {
    first_name: user.firstName ?? '',
    last_name: user.lastName ?? '',
    username: user.username,
    email: user.email ?? '',
    phone,
    department: user.department ?? '',
    nicknames: '[]',
  };
  const derived = derivedColumns(fields, []);
  return {
    account_id: job.accountId,
    username: fields.username,
    email: fields.email,
    first_name: fields.first_name,
    last_name: fields.last_name,
    phone,
    department: fields.department,
    nicknames: '[]',
    search_doc: derived.search_doc,
    name_key: derived.name_key,
    first_key: derived.first_key,
    access_type: 'standard',
    auth_method: 'password',
    enabled: 1,
    status: 'inactive',
    source: 'local',
    created_at: job.at,
    updated_at: job.at,
    time_zone: user.timeZone ?? '',
    language: user.language ?? '',
    valid_from: user.validFrom ?? null,
    expires_at: user.expiresAt ?? null,
    required_actions: '["update_password"]',
    profile_id: user.profile ? (profiles.idOf(user.profile) ?? null) : null,
  };
}
