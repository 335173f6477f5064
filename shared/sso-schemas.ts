// Input schemas of single sign-on: an account's OpenID Connect identity providers, and the sign-in flow's queries.
import { z } from 'zod';

/** The access types a user created at first sign-in may get: never scorer, owner or no access. */
export const SSO_ACCESS_TYPES = ['standard', 'read_only', 'identified_only', 'admin'] as const;
export type SsoAccessType = (typeof SSO_ACCESS_TYPES)[number];

export const DEFAULT_SCOPES = 'openid email profile';

/** Why a sign-in through a provider failed: the sign-in page shows a message for each (never the provider's text). */
export const SSO_ERRORS = [
  'UnknownProvider',
  'ProviderUnavailable',
  'FlowExpired',
  'ProviderRefused',
  'InvalidResponse',
  'NotLinked',
  'UsernameTaken',
  'UserNotCreated',
  'UserDisabled',
  'NotYetValid',
  'Expired',
  'NoAccess',
  'RateLimited',
] as const;
export type SsoError = (typeof SSO_ERRORS)[number];

const trimmed = (max: number) => z.string().trim().max(max, `Must be at most ${max} characters`);

export const providerSlugSchema = z
  .string()
  .trim()
  .min(1, 'Slug is required')
  .max(60, 'Must be at most 60 characters')
  .regex(/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/, 'Use lower-case letters, digits and - only (it goes in a URL)');

export const issuerSchema = z
  .string()
  .trim()
  .min(1, 'Issuer URL is required')
  .max(500, 'Must be at most 500 characters')
  .refine((value) => {
    try {
      const url = new URL(value);
      return (url.protocol === 'https:' || url.protocol === 'http:') && !url.search && !url.hash;
    } catch {
      return false;
    }
  }, 'Enter the issuer URL, such as https://login.example.com/realms/acme (no query or fragment)');

export const scopesSchema = z
  .string()
  .trim()
  .max(500, 'Must be at most 500 characters')
  .regex(/^[\x21\x23-\x5B\x5D-\x7E]+(?: +[\x21\x23-\x5B\x5D-\x7E]+)*$/, 'Separate scopes with spaces')
  .refine((value) => value.split(/ +/).includes('openid'), 'The scopes must include openid')
  .transform((value) => value.split(/ +/).join(' '));

export const usernameClaimSchema = z
  .string()
  .trim()
  .min(1, 'Username claim is required')
  .max(100, 'Must be at most 100 characters')
  .regex(/^[A-Za-z0-9_.:-]+$/, 'Use a claim name such as email or preferred_username');

const providerFields = {
  name: trimmed(100).min(1, 'Name is required'),
  slug: providerSlugSchema,
  issuer: issuerSchema,
  clientId: trimmed(300).min(1, 'Client ID is required'),
  scopes: scopesSchema.optional(),
  usernameClaim: usernameClaimSchema.optional(),
  enabled: z.boolean().optional(),
  linkVerifiedEmail: z.boolean().optional().describe('Link an existing user whose email the provider says is verified'),
  createUsers: z.boolean().optional().describe('Create a user at the first sign-in of someone not linked yet'),
  newUserAccessType: z.enum(SSO_ACCESS_TYPES).optional().describe('The access type of users created at sign-in'),
};

export const identityProviderCreateSchema = z
  .object({
    ...providerFields,
    clientSecret: z.string().max(1000, 'Must be at most 1000 characters').min(1, 'Client secret is required'),
  })
  .strict();
export type IdentityProviderCreateInput = z.input<typeof identityProviderCreateSchema>;
export type IdentityProviderCreate = z.output<typeof identityProviderCreateSchema>;

export const identityProviderUpdateSchema = z
  .object({
    name: providerFields.name.optional(),
    slug: providerFields.slug.optional(),
    issuer: providerFields.issuer.optional(),
    clientId: providerFields.clientId.optional(),
    scopes: providerFields.scopes,
    usernameClaim: providerFields.usernameClaim,
    enabled: providerFields.enabled,
    linkVerifiedEmail: providerFields.linkVerifiedEmail,
    createUsers: providerFields.createUsers,
    newUserAccessType: providerFields.newUserAccessType,
    clientSecret: z
      .string()
      .max(1000, 'Must be at most 1000 characters')
      .optional()
      .describe('Blank or absent keeps the current secret'),
  })
  .strict();
export type IdentityProviderUpdateInput = z.input<typeof identityProviderUpdateSchema>;
export type IdentityProviderUpdate = z.output<typeof identityProviderUpdateSchema>;

export const authConfigQuerySchema = z.object({
  account: z.string().max(100).optional().describe('The account whose sign-in page this is (default: the first)'),
});

export const ssoStartQuerySchema = z.object({
  account: z.string().max(100).optional().describe('The account the provider belongs to (default: the first)'),
});

/** What a provider sends back to the callback (never refused here: every failure redirects to the sign-in page). */
export const ssoCallbackQuerySchema = z
  .object({
    state: z.string().optional(),
    code: z.string().optional(),
    iss: z.string().optional().describe('The issuer of the authorization response (RFC 9207)'),
    error: z.string().optional(),
  })
  .loose();
