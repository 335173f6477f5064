// Per-user settings of the suite's applications: chat status, chat limit and tag, and the Voice Analytics switch
// with which an admin turns off transcription and analysis of a user's recordings.

import type { ChatStatus } from '../../shared/access.js';
import type { ChatSettings } from '../../shared/access-schemas.js';
import type { Db } from '../db/index.js';
import { forbidden } from '../errors.js';
import { type Actor, authorize, userAccessAbilities } from '../policy.js';
import { type AuditLog, diff } from './audit.js';
import { findManagedUser, findVisibleUser } from './user-lookup.js';
import type { RequestMeta } from './users.js';

export interface AppSettings {
  chat: { status: ChatStatus; chatLimit: number; tag: string };
  analysisEnabled: boolean;
}

const DEFAULTS = { chat_status: 'available', chat_limit: -1, chat_tag: '', analysis_enabled: 1 };

export class AppSettingsService {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
    private readonly now: () => Date,
  ) {}

  async get(actor: Actor, userId: number) {
    const user = await this.findUser(actor, userId);
    const row = await this.db
      .selectFrom('user_app_settings')
      .selectAll()
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return {
      ...present(row ?? DEFAULTS),
      can: userAccessAbilities(actor, {
        id: user.id,
        accountId: actor.accountId,
        isOwner: user.is_owner === 1,
        isAdmin: user.access_type === 'admin',
        department: user.department,
      }),
    };
  }

  async updateChat(actor: Actor, userId: number, input: ChatSettings, meta: RequestMeta = {}) {
    const changes: Partial<typeof DEFAULTS> = {};
    if (input.status !== undefined) changes.chat_status = input.status;
    if (input.chatLimit !== undefined) changes.chat_limit = input.chatLimit;
    if (input.tag !== undefined) changes.chat_tag = input.tag;
    return this.write(actor, userId, changes, 'user.chat_settings.update', meta);
  }

  async setAnalysis(actor: Actor, userId: number, enabled: boolean, meta: RequestMeta = {}) {
    return this.write(actor, userId, { analysis_enabled: enabled ? 1 : 0 }, 'user.analysis.update', meta);
  }

  private async write(
    actor: Actor,
    userId: number,
    changes: Partial<typeof DEFAULTS>,
    action: string,
    meta: RequestMeta,
  ) {
    authorize(actor, 'access.manage', 'account', { accountId: actor.accountId }, () =>
      forbidden('Only admins change application settings'),
    );
    const user = await findManagedUser(this.db, actor, userId, 'user.access');
    const at = this.now().toISOString();
    await this.db.transaction().execute(async (trx) => {
      const before =
        (await trx.selectFrom('user_app_settings').selectAll().where('user_id', '=', userId).executeTakeFirst()) ??
        null;
      const merged = { ...DEFAULTS, ...(before ?? {}), ...changes };
      await trx
        .insertInto('user_app_settings')
        .values({
          user_id: userId,
          account_id: actor.accountId,
          chat_status: merged.chat_status,
          chat_limit: merged.chat_limit,
          chat_tag: merged.chat_tag,
          analysis_enabled: merged.analysis_enabled,
          updated_at: at,
        })
        .onConflict((oc) =>
          oc.column('user_id').doUpdateSet({
            chat_status: merged.chat_status,
            chat_limit: merged.chat_limit,
            chat_tag: merged.chat_tag,
            analysis_enabled: merged.analysis_enabled,
            updated_at: at,
          }),
        )
        .execute();
      if (changes.analysis_enabled !== undefined && changes.analysis_enabled !== before?.analysis_enabled) {
        // The copy decisions read with the user (user-facts).
        await trx
          .updateTable('users')
          .set({ analysis_enabled: changes.analysis_enabled })
          .where('account_id', '=', actor.accountId)
          .where('id', '=', userId)
          .execute();
      }
      const change = diff(flat(present(before ?? DEFAULTS)), flat(present(merged)));
      if (change.changed) {
        await this.audit.record(trx, {
          accountId: actor.accountId,
          actor,
          action,
          target: { type: 'user', id: userId, label: user.username },
          before: change.before,
          after: change.after,
          ip: meta.ip,
        });
      }
    });
    return this.get(actor, userId);
  }

  private findUser(actor: Actor, userId: number) {
    return findVisibleUser(this.db, actor, userId);
  }
}

function present(row: {
  chat_status: string;
  chat_limit: number;
  chat_tag: string;
  analysis_enabled: number;
}): AppSettings {
  return {
    chat: { status: row.chat_status as ChatStatus, chatLimit: row.chat_limit, tag: row.chat_tag },
    analysisEnabled: row.analysis_enabled === 1,
  };
}

const flat = (settings: AppSettings): Record<string, unknown> => ({
  chatStatus: settings.chat.status,
  chatLimit: settings.chat.chatLimit,
  chatTag: settings.chat.tag,
  analysisEnabled: settings.analysisEnabled,
});
