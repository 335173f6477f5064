// One-time codes (TOTP, RFC 6238: SHA-1, 6 digits, 30 s) as a second factor, and ten single-use recovery codes.
// A code is accepted once: the last time step accepted is kept, and only a later one passes (one step of drift).
import { createHash, randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import QRCode from 'qrcode';
import type { Db } from '../db/index.js';
import { AppError, notFound } from '../errors.js';
import { type Actor, authorize } from '../policy.js';
import type { AuditLog } from './audit.js';
import { assertCurrentPassword } from './current-password.js';
import type { Outbox } from './mail/outbox.js';
import { type UserRow, userSubject } from './user-presenter.js';

const PERIOD = 30;
const RECOVERY_CODES = 10;
const RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';

const totpOf = (secret: string, label = 'Roster', issuer = 'Roster') =>
  new TOTP({ issuer, label, algorithm: 'SHA1', digits: 6, period: PERIOD, secret: Secret.fromBase32(secret) });

/** The form a recovery code is compared in: lower case, without the dash or spaces. */
const normalizeRecovery = (code: string) => code.toLowerCase().replace(/[\s-]/g, '');
const hashRecovery = (code: string) => createHash('sha256').update(normalizeRecovery(code)).digest('hex');

function newRecoveryCode(): string {
  const bytes = randomBytes(10);
  const chars = [...bytes].map((b) => RECOVERY_ALPHABET[b % RECOVERY_ALPHABET.length]).join('');
  return `${chars.slice(0, 5)}-${chars.slice(5)}`;
}

const wrongCode = () =>
  new AppError(400, 'InvalidCode', 'That code is not right, or was already used: enter the current code', [
    { path: 'code', message: 'Not the current code' },
  ]);

export interface Me {
  actor: Actor;
  user: UserRow;
  account: { id: number; name: string };
}

/** Whether an account that requires (or not) a second factor of its admins requires one of this user (or the owner). */
export function otpRequiredOf(user: Pick<UserRow, 'access_type' | 'is_owner'>, requireAdminOtp: boolean): boolean {
  return requireAdminOtp && (user.access_type === 'admin' || user.is_owner === 1);
}

/** Whether the account requires a second factor of this user (admins and the owner, when it is on). */
export async function otpRequiredFor(db: Db, user: Pick<UserRow, 'account_id' | 'access_type' | 'is_owner'>) {
  if (!otpRequiredOf(user, true)) return false;
  const row = await db
    .selectFrom('account_security')
    .select('require_admin_otp')
    .where('account_id', '=', user.account_id)
    .executeTakeFirst();
  return otpRequiredOf(user, row?.require_admin_otp === 1);
}

export class OneTimeCodes {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
    private readonly outbox: Outbox,
    private readonly now: () => Date,
  ) {}

  async status(userId: number) {
    const row = await this.db.selectFrom('user_otp').selectAll().where('user_id', '=', userId).executeTakeFirst();
    const left = await this.db
      .selectFrom('user_recovery_codes')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('user_id', '=', userId)
      .where('used_at', 'is', null)
      .executeTakeFirstOrThrow();
    return {
      configured: Boolean(row?.secret),
      configuredAt: row?.secret ? row.confirmed_at : null,
      recoveryCodesLeft: row?.secret ? Number(left.n) : 0,
    };
  }

  /** Whether the user has a confirmed device (sign-in then asks for a code). */
  async configured(userId: number): Promise<boolean> {
    const row = await this.db.selectFrom('user_otp').select('secret').where('user_id', '=', userId).executeTakeFirst();
    return Boolean(row?.secret);
  }

  /**
   * A new secret for a device: the first one, or one to replace the current (which keeps working until the new one is
   * confirmed). Returns the secret, its otpauth:// URI and a QR code of it (SVG).
   */
  async setup(me: Me) {
    const secret = new Secret({ size: 20 }).base32;
    const at = this.now().toISOString();
    await this.db
      .insertInto('user_otp')
      .values({
        user_id: me.user.id,
        secret: null,
        pending_secret: secret,
        confirmed_at: null,
        last_step: 0,
        created_at: at,
      })
      .onConflict((oc) => oc.column('user_id').doUpdateSet({ pending_secret: secret }))
      .execute();
    const uri = totpOf(secret, me.user.username, `Roster (${me.account.name})`).toString();
    const qrSvg = await QRCode.toString(uri, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' });
    return { secret, uri, qrSvg };
  }

  /**
   * Confirms the device being set up with one code from it; replacing a device needs the current password too.
   * Returns ten new recovery codes, shown this once.
   */
  async confirm(me: Me, code: string, currentPassword: string | undefined, ip?: string | null) {
    const row = await this.db.selectFrom('user_otp').selectAll().where('user_id', '=', me.user.id).executeTakeFirst();
    if (!row?.pending_secret) {
      throw new AppError(409, 'NoDeviceSetup', 'Start setting up a device first: it shows the secret and QR code');
    }
    const replacing = Boolean(row.secret);
    if (replacing) await assertCurrentPassword(this.db, me.user.id, currentPassword);
    const step = this.stepOf(row.pending_secret, code);
    if (step === null) throw wrongCode();
    const codes = Array.from({ length: RECOVERY_CODES }, newRecoveryCode);
    const at = this.now().toISOString();
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('user_otp')
        .set({ secret: row.pending_secret, pending_secret: null, confirmed_at: at, last_step: step })
        .where('user_id', '=', me.user.id)
        .execute();
      await this.replaceRecoveryCodes(trx, me.user.id, codes);
      const actions = (JSON.parse(me.user.required_actions) as string[]).filter((a) => a !== 'configure_otp');
      await trx
        .updateTable('users')
        .set({ required_actions: JSON.stringify(actions) })
        .where('id', '=', me.user.id)
        .execute();
      await this.audit.record(trx, {
        accountId: me.account.id,
        actor: me.actor,
        action: replacing ? 'otp.replaced' : 'otp.configured',
        target: { type: 'user', id: me.user.id, label: me.user.username },
        ip,
      });
      await this.notify(trx, me.user, me.account.name);
    });
    this.outbox.queued();
    return { recoveryCodes: codes };
  }

  /** Ten new recovery codes (the old ones stop working); needs the current password. */
  async regenerateRecoveryCodes(me: Me, currentPassword: string | undefined, ip?: string | null) {
    if (!(await this.configured(me.user.id)))
      throw new AppError(409, 'OtpNotConfigured', 'Set up one-time codes first');
    await assertCurrentPassword(this.db, me.user.id, currentPassword);
    const codes = Array.from({ length: RECOVERY_CODES }, newRecoveryCode);
    await this.db.transaction().execute(async (trx) => {
      await this.replaceRecoveryCodes(trx, me.user.id, codes);
      await this.audit.record(trx, {
        accountId: me.account.id,
        actor: me.actor,
        action: 'otp.recovery_codes_regenerated',
        target: { type: 'user', id: me.user.id, label: me.user.username },
        ip,
      });
    });
    return { recoveryCodes: codes };
  }

  /** Removes one's own device; not allowed when the account requires a second factor of the user. */
  async remove(me: Me, currentPassword: string | undefined, ip?: string | null) {
    if (await otpRequiredFor(this.db, me.user)) {
      throw new AppError(
        409,
        'OtpRequired',
        'Your account requires a one-time code for admins: replace the device instead',
      );
    }
    await assertCurrentPassword(this.db, me.user.id, currentPassword);
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('user_otp').where('user_id', '=', me.user.id).execute();
      await trx.deleteFrom('user_recovery_codes').where('user_id', '=', me.user.id).execute();
      await this.audit.record(trx, {
        accountId: me.account.id,
        actor: me.actor,
        action: 'otp.removed',
        target: { type: 'user', id: me.user.id, label: me.user.username },
        ip,
      });
      await this.notify(trx, me.user, me.account.name);
    });
    this.outbox.queued();
  }

  /** An admin removes a user's device (lost phone); the user sets up a new one at the next sign-in if required. */
  async adminReset(actor: Actor, userId: number, ip?: string | null) {
    const user = (await this.db
      .selectFrom('users')
      .selectAll()
      .where('id', '=', userId)
      .where('account_id', '=', actor.accountId)
      .executeTakeFirst()) as UserRow | undefined;
    if (!user) throw notFound('User');
    authorize(actor, 'user.update', 'user', userSubject(user));
    const account = await this.db
      .selectFrom('accounts')
      .select('name')
      .where('id', '=', actor.accountId)
      .executeTakeFirstOrThrow();
    await this.db.transaction().execute(async (trx) => {
      const removed = await trx.deleteFrom('user_otp').where('user_id', '=', user.id).executeTakeFirst();
      await trx.deleteFrom('user_recovery_codes').where('user_id', '=', user.id).execute();
      if (Number(removed.numDeletedRows) === 0)
        throw new AppError(409, 'OtpNotConfigured', 'This user has no one-time code device');
      await this.audit.record(trx, {
        accountId: actor.accountId,
        actor,
        action: 'otp.reset',
        target: { type: 'user', id: user.id, label: user.username },
        ip,
      });
      await this.notify(trx, user, account.name);
    });
    this.outbox.queued();
  }

  /**
   * Takes a code for the user's confirmed device: true once for each time step (a replayed or older code fails),
   * within one step of drift either way.
   */
  async takeCode(userId: number, code: string): Promise<boolean> {
    const row = await this.db.selectFrom('user_otp').select('secret').where('user_id', '=', userId).executeTakeFirst();
    if (!row?.secret) return false;
    const step = this.stepOf(row.secret, code);
    if (step === null) return false;
    const taken = await this.db
      .updateTable('user_otp')
      .set({ last_step: step })
      .where('user_id', '=', userId)
      .where('last_step', '<', step)
      .executeTakeFirst();
    return Number(taken.numUpdatedRows) === 1;
  }

  /** Takes one of the user's recovery codes: each works once. */
  async takeRecoveryCode(userId: number, code: string): Promise<boolean> {
    if (normalizeRecovery(code).length !== 10) return false;
    const taken = await this.db
      .updateTable('user_recovery_codes')
      .set({ used_at: this.now().toISOString() })
      .where('user_id', '=', userId)
      .where('code_hash', '=', hashRecovery(code))
      .where('used_at', 'is', null)
      .executeTakeFirst();
    return Number(taken.numUpdatedRows) === 1;
  }

  /** The time step a code belongs to, if it is one of the current step's neighbours; null otherwise. */
  private stepOf(secret: string, code: string): number | null {
    const token = code.replace(/\s/g, '');
    if (!/^\d{6}$/.test(token)) return null;
    const timestamp = this.now().getTime();
    const delta = totpOf(secret).validate({ token, timestamp, window: 1 });
    if (delta === null) return null;
    return Math.floor(timestamp / 1000 / PERIOD) + delta;
  }

  private async replaceRecoveryCodes(trx: Db, userId: number, codes: string[]) {
    await trx.deleteFrom('user_recovery_codes').where('user_id', '=', userId).execute();
    await trx
      .insertInto('user_recovery_codes')
      .values(codes.map((code) => ({ user_id: userId, code_hash: hashRecovery(code), used_at: null })))
      .execute();
  }

  private async notify(trx: Db, user: UserRow, accountName: string) {
    if (!user.email) return;
    await this.outbox.queue(trx, {
      accountId: user.account_id,
      userId: user.id,
      to: user.email,
      kind: 'second_factor_changed',
      language: user.language,
      values: { name: user.first_name || user.username, account: accountName },
    });
  }
}
