// Response schemas of signing in: the sign-in page's settings and the session (user, abilities, CSRF token).
import { z } from 'zod';
import { REQUIRED_ACTIONS } from '../constants.js';
import { AuthProviderSchema } from './sso.js';
import { UserSchema } from './users.js';

export const AuthConfigSchema = z
  .object({
    defaultAccount: z.string().nullable(),
    providers: z
      .array(AuthProviderSchema)
      .describe('The account\'s enabled single sign-on providers: each is a "Sign in with" button'),
  })
  .meta({ id: 'AuthConfig' });

/** What the signed-in user may do in the console: each key opens a part of it. */
export const SessionAbilitiesSchema = z.object({
  manageUsers: z.boolean(),
  importUsers: z.boolean(),
  manageOrganization: z
    .boolean()
    .describe('Create, rename, move and delete groups, departments and chat-routing groups'),
  readAudit: z.boolean(),
  manageAccess: z.boolean(),
  readProfiles: z.boolean(),
  createProfiles: z.boolean(),
  manageSecurity: z
    .boolean()
    .describe("May change the account's sign-in security: password policy, mail, single sign-on"),
  manageProvisioning: z.boolean().describe("May manage the account's SCIM tokens (provisioning by identity providers)"),
  manageDirectories: z
    .boolean()
    .describe("May manage the account's directory connections (LDAP, Active Directory) and run their syncs"),
});
export type SessionAbilities = z.output<typeof SessionAbilitiesSchema>;

export const SessionSchema = z
  .object({
    user: UserSchema,
    account: z.object({ id: z.number().int(), name: z.string(), slug: z.string() }),
    csrfToken: z.string().describe('Send as X-CSRF-Token on every state-changing request'),
    requiredActions: z
      .array(z.enum(REQUIRED_ACTIONS))
      .describe(
        'What the user must do before anything else, in order: update_password, configure_otp, update_profile, verify_email, update_locale',
      ),
    secondFactor: z
      .enum(['otp'])
      .nullable()
      .describe('otp: the password was right, and the sign-in waits for a one-time code (POST /auth/otp)'),
    abilities: SessionAbilitiesSchema,
  })
  .meta({ id: 'Session' });
export type Session = z.output<typeof SessionSchema>;
