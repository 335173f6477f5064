// Sign-in with the directory password: a user synced from a connection that allows it proves their password by an
// LDAP bind as their own entry (over the connection's URL, TLS and CA), and has no password to change in Roster.
import type { Db } from '../../db/index.js';
import { AppError } from '../../errors.js';
import { DirectoryStepError, openDirectory, release } from './client.js';

export interface DirectoryCredential {
  url: string;
  startTls: boolean;
  caCertificate: string | null;
  dn: string;
  connection: string;
}

/** Where the user's password is checked, when it is their directory's. */
export async function directoryCredentialOf(db: Db, userId: number): Promise<DirectoryCredential | null> {
  const row = await db
    .selectFrom('directory_user_links as l')
    .innerJoin('directory_connections as c', 'c.id', 'l.connection_id')
    .innerJoin('users as u', 'u.id', 'l.user_id')
    .select(['c.url', 'c.start_tls', 'c.ca_certificate', 'c.name', 'l.dn'])
    .where('l.user_id', '=', userId)
    .where('c.password_sign_in', '=', 1)
    .where('u.sync_enabled', '=', 1)
    .executeTakeFirst();
  if (!row) return null;
  return {
    url: row.url,
    startTls: row.start_tls === 1,
    caCertificate: row.ca_certificate,
    dn: row.dn,
    connection: row.name,
  };
}

/** Refuses to set a Roster password for a user whose password is their directory's. */
export async function assertRosterPassword(db: Db, userId: number, path = 'password'): Promise<void> {
  const credential = await directoryCredentialOf(db, userId);
  if (!credential) return;
  const message = `This user signs in with their ${credential.connection} directory password: change it in the directory`;
  throw new AppError(409, 'DirectoryPassword', message, [{ path, message }]);
}

/**
 * Whether the directory accepts the password for the entry: true, false, 'must_change' when the password is right but
 * the directory wants it changed first (Active Directory's pwdLastSet 0 or an expired password), or an error when the
 * directory cannot be asked (the sign-in then fails without counting against the user). An empty password is never
 * sent: a bind with one is anonymous, and would succeed.
 */
export async function verifyDirectoryPassword(
  credential: DirectoryCredential,
  password: string,
  timeoutMs: number,
): Promise<boolean | 'must_change'> {
  if (password === '') return false;
  try {
    const client = await openDirectory(
      {
        url: credential.url,
        startTls: credential.startTls,
        caCertificate: credential.caCertificate,
        bindDn: credential.dn,
        bindPassword: password,
      },
      timeoutMs,
    );
    release(client);
    return true;
  } catch (error) {
    if (error instanceof DirectoryStepError && error.step === 'bind' && error.reason === 'InvalidCredentials')
      return false;
    if (error instanceof DirectoryStepError && error.step === 'bind' && error.reason === 'PasswordMustChange')
      return 'must_change';
    throw new AppError(
      503,
      'DirectoryUnavailable',
      'The directory that checks this password cannot be reached: try again later',
    );
  }
}

/** The password was right, and the directory wants it changed before it lets the user in: only the directory can. */
export function directoryPasswordMustChange(credential: DirectoryCredential): AppError {
  return new AppError(
    403,
    'DirectoryPasswordChange',
    `Your password must be changed in the ${credential.connection} directory (for example at your next Windows sign-in); then sign in here with the new one`,
  );
}
