// Console sessions; the table holds a hash of the cookie token, never the token itself.
import type { Generated } from 'kysely';
export interface SessionsTable {
  id: string;
  user_id: number;
  account_id: number;
  csrf_token: string;
  created_at: string;
  expires_at: string;
  last_seen_at: string;
  ip: string | null;
  user_agent: string | null;
  /** 'otp' while the session still waits for a one-time code; null once fully signed in. */
  pending_step: string | null;
  /** How the session was opened: password, otp, recovery_code, sso. */
  method: Generated<string>;
}
