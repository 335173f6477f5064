// Account security: mail settings and outbox, single-use links, password history, one-time-password devices,
// identity providers for single sign-on and the identities bound to users.
import type { Generated } from 'kysely';

export interface AccountSecurityTable {
  account_id: number;
  /** JSON; keys left out take the defaults of shared/password-policy. */
  password_policy: Generated<string>;
  require_admin_otp: Generated<number>;
  invitation_hours: Generated<number>;
  smtp_host: string | null;
  smtp_port: number | null;
  smtp_security: string | null;
  smtp_user: string | null;
  /** Never returned by the API. */
  smtp_password: string | null;
  mail_from: string | null;
  updated_at: string;
}

export interface MailOutboxTable {
  id: Generated<number>;
  account_id: number;
  user_id: number | null;
  to_address: string;
  kind: string;
  language: string;
  subject: string;
  text_body: string;
  html_body: string;
  /** The single-use link the mail carries, kept only until the mail is delivered. */
  link: string | null;
  status: Generated<string>;
  attempts: Generated<number>;
  next_attempt_at: string;
  claimed_until: string | null;
  last_error: string | null;
  created_at: string;
  sent_at: string | null;
}

export interface UserTokensTable {
  token_hash: string;
  account_id: number;
  user_id: number;
  purpose: string;
  email: string | null;
  created_at: string;
  expires_at: string;
  used_at: string | null;
  created_by: number | null;
}

export interface PasswordHistoryTable {
  id: Generated<number>;
  user_id: number;
  password_hash: string;
  created_at: string;
}

export interface UserOtpTable {
  user_id: number;
  /** The confirmed device's secret (base32); null until one is confirmed. */
  secret: string | null;
  /** A device waiting for its first code. */
  pending_secret: string | null;
  confirmed_at: string | null;
  last_step: Generated<number>;
  created_at: string;
}

export interface UserRecoveryCodesTable {
  id: Generated<number>;
  user_id: number;
  code_hash: string;
  used_at: string | null;
}

export interface IdentityProvidersTable {
  id: Generated<number>;
  account_id: number;
  slug: string;
  name: string;
  issuer: string;
  client_id: string;
  /** Never returned by the API. */
  client_secret: string;
  scopes: Generated<string>;
  username_claim: Generated<string>;
  link_verified_email: Generated<number>;
  create_users: Generated<number>;
  new_user_access_type: Generated<string>;
  enabled: Generated<number>;
  created_at: string;
  updated_at: string;
}

export interface UserIdentitiesTable {
  provider_id: number;
  subject: string;
  user_id: number;
  created_at: string;
  last_used_at: string | null;
}

export interface SsoFlowsTable {
  state_hash: string;
  provider_id: number;
  code_verifier: string;
  nonce: string;
  created_at: string;
  expires_at: string;
}
