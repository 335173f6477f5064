// Response schemas of single sign-on: identity providers (never their client secret) and a user's bound identities.
import { z } from 'zod';
import { SSO_ACCESS_TYPES } from '../sso-schemas.js';

const id = z.number().int();

export const IdentityProviderSchema = z
  .object({
    id,
    name: z.string(),
    slug: z.string(),
    issuer: z.string(),
    clientId: z.string(),
    hasClientSecret: z.boolean().describe('The secret itself is write-only and never returned'),
    scopes: z.string(),
    usernameClaim: z.string(),
    enabled: z.boolean(),
    linkVerifiedEmail: z.boolean(),
    createUsers: z.boolean(),
    newUserAccessType: z.enum(SSO_ACCESS_TYPES),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'IdentityProvider' });
export type IdentityProvider = z.output<typeof IdentityProviderSchema>;

export const IdentityProviderListSchema = z
  .object({
    items: z.array(IdentityProviderSchema),
    redirectUri: z.string().describe('The redirect URI to register at every provider'),
  })
  .meta({ id: 'IdentityProviderList' });
export type IdentityProviderList = z.output<typeof IdentityProviderListSchema>;

export const UserIdentitySchema = z
  .object({
    providerId: id,
    providerName: z.string(),
    providerSlug: z.string(),
    subject: z.string().describe("The provider's stable identifier of the person (the ID token's sub)"),
    createdAt: z.string(),
    lastUsedAt: z.string().nullable(),
    can: z.object({ unlink: z.boolean() }),
  })
  .meta({ id: 'UserIdentity' });
export type UserIdentity = z.output<typeof UserIdentitySchema>;

export const UserIdentityListSchema = z.object({ items: z.array(UserIdentitySchema) }).meta({ id: 'UserIdentityList' });

export const AuthProviderSchema = z.object({ slug: z.string(), name: z.string() });
