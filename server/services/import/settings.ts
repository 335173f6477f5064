// An account's import settings: the range new users' free extensions are picked from.
import type { ImportSettings } from '../../../shared/import-schemas.js';
import type { Db } from '../../db/index.js';
import type { Actor } from '../../policy.js';
import { assertCanImport } from './job-store.js';

export const DEFAULT_EXTENSIONS: ImportSettings = { extensionFirst: 1000, extensionLast: 999_999 };

export class ImportSettingsStore {
  constructor(
    private readonly db: Db,
    private readonly now: () => Date,
  ) {}

  async get(actor: Actor): Promise<ImportSettings> {
    assertCanImport(actor);
    return this.of(actor.accountId);
  }

  /** The account's settings, for the preview and the runner (no actor to check). */
  async of(accountId: number): Promise<ImportSettings> {
    const row = await this.db
      .selectFrom('import_settings')
      .select(['extension_first', 'extension_last'])
      .where('account_id', '=', accountId)
      .executeTakeFirst();
    return row ? { extensionFirst: row.extension_first, extensionLast: row.extension_last } : DEFAULT_EXTENSIONS;
  }

  async update(actor: Actor, input: ImportSettings): Promise<ImportSettings> {
    assertCanImport(actor);
    const values = {
      account_id: actor.accountId,
      extension_first: input.extensionFirst,
      extension_last: input.extensionLast,
      updated_at: this.now().toISOString(),
    };
    await this.db
      .insertInto('import_settings')
      .values(values)
      .onConflict((oc) =>
        oc.column('account_id').doUpdateSet({
          extension_first: values.extension_first,
          extension_last: values.extension_last,
          updated_at: values.updated_at,
        }),
      )
      .execute();
    return input;
  }
}
