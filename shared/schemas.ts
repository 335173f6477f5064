// Input schemas shared by the API (validation + OpenAPI) and the console's forms: each rule is written once.
import { z } from 'zod';
import { APP_KEYS } from './access.js';
import { ACCESS_TYPES, AUTH_METHODS, MAX_PAGE_SIZE, REQUIRED_ACTIONS, USER_SORTS, USER_STATUSES } from './constants.js';
import { bodyId, idValue } from './ids.js';
import { callTrackingFields } from './organization-schemas.js';
import { storableInstant } from './text.js';

const trimmed = (max: number) => z.string().trim().max(max, `Must be at most ${max} characters`);

function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

function isLanguageTag(value: string): boolean {
  try {
    return Intl.getCanonicalLocales(value).length === 1;
  } catch {
    return false;
  }
}

export const usernameSchema = z
  .string()
  .trim()
  .min(1, 'Username is required')
  .max(100, 'Must be at most 100 characters')
  .regex(/^[\p{L}\p{N}._@+-]+$/u, 'Use letters, digits and . _ @ + - only')
  .transform((value) => value.toLowerCase());

export const emailSchema = z
  .string()
  .trim()
  .max(254, 'Must be at most 254 characters')
  .refine((value) => value === '' || z.email().safeParse(value).success, 'Enter a valid email address');

export const phoneSchema = z
  .string()
  .trim()
  .max(32, 'Must be at most 32 characters')
  .regex(/^[0-9+()\-. ]*$/, 'Use digits, spaces and + ( ) - . only');

export const timeZoneSchema = z
  .string()
  .trim()
  .refine((value) => value === '' || isTimeZone(value), 'Unknown time zone (use an IANA name such as Europe/Rome)');

export const languageSchema = z
  .string()
  .trim()
  .refine((value) => value === '' || isLanguageTag(value), 'Unknown language (use a tag such as en or pt-BR)');

const dateTimeSchema = z
  .string()
  .trim()
  .refine((value) => value === '' || storableInstant(value) !== null, 'Enter a date such as 2026-01-31')
  .transform((value) => (value === '' ? null : storableInstant(value)));

const userFields = {
  email: emailSchema.optional(),
  firstName: trimmed(100).min(1, 'First name is required'),
  lastName: trimmed(100).optional(),
  phone: phoneSchema.optional(),
  department: trimmed(100).optional(),
  accessType: z.enum(ACCESS_TYPES).optional(),
  authMethod: z.enum(AUTH_METHODS).optional(),
  enabled: z.boolean().optional(),
  emailVerified: z.boolean().optional(),
  timeZone: timeZoneSchema.optional(),
  language: languageSchema.optional(),
  validFrom: dateTimeSchema.nullable().optional(),
  expiresAt: dateTimeSchema.nullable().optional(),
  nicknames: z.array(trimmed(100).min(1, 'A nickname cannot be empty')).max(20, 'At most 20 nicknames').optional(),
  /** The user's profile (named permission set for admin modules); null = none. */
  profileId: bodyId().nullable().optional(),
  ...callTrackingFields,
};

function datesInOrder(value: { validFrom?: string | null; expiresAt?: string | null }): boolean {
  return !value.validFrom || !value.expiresAt || value.validFrom < value.expiresAt;
}
const datesMessage = { message: 'Expiration must be after Valid from', path: ['expiresAt'] };

export const userCreateSchema = z
  .object({
    username: usernameSchema,
    ...userFields,
    password: z.string().max(256).optional(),
    temporaryPassword: z.boolean().optional(),
    /** Mail the user an invitation to choose their own password (a link to sign in for single sign-on users). */
    sendInvitation: z.boolean().optional(),
  })
  .strict()
  .refine(datesInOrder, datesMessage)
  .refine((value) => !value.sendInvitation || Boolean(value.email), {
    message: 'An email address is needed to send an invitation',
    path: ['email'],
  });
export type UserCreateInput = z.input<typeof userCreateSchema>;
export type UserCreate = z.output<typeof userCreateSchema>;

export const userUpdateSchema = z
  .object({
    ...userFields,
    firstName: userFields.firstName.optional(),
    /** Tasks the user must finish at the next sign-in before anything else (replaces the list). */
    requiredActions: z.array(z.enum(REQUIRED_ACTIONS)).max(REQUIRED_ACTIONS.length).optional(),
  })
  .strict()
  .refine(datesInOrder, datesMessage);
export type UserUpdateInput = z.input<typeof userUpdateSchema>;
export type UserUpdate = z.output<typeof userUpdateSchema>;

const booleanQuery = z.union([z.boolean(), z.enum(['true', 'false']).transform((value) => value === 'true')]);

/** Filters of the user list; the same object is what a saved filter stores. */
export const userFilterSchema = z
  .object({
    q: z
      .string()
      .max(200)
      .optional()
      .describe(
        'Search terms separated by spaces, each matching some field (case and accents folded): a term of two letters or digits matches the start of a word, a longer one anywhere',
      ),
    accessType: z.enum(ACCESS_TYPES).optional(),
    status: z.enum(USER_STATUSES).optional(),
    enabled: booleanQuery.optional(),
    department: z.string().max(100).optional(),
    source: z.string().max(100).optional(),
    /** Direct members of this group (team) of the account. */
    groupId: idValue('groupId').optional(),
    /** Users holding the license of this application. */
    license: z.enum(APP_KEYS).optional(),
  })
  .strict();
export type UserFilter = z.output<typeof userFilterSchema>;

export const userListQuerySchema = userFilterSchema.extend({
  sort: z.enum(USER_SORTS).optional(),
  order: z.enum(['asc', 'desc']).optional(),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).optional(),
  cursor: z.string().max(8000).optional(),
  last: booleanQuery.optional(),
});
export type UserListQuery = z.output<typeof userListQuerySchema>;

export const signInSchema = z
  .object({
    account: z.string().trim().max(100).optional(),
    username: z.string().trim().min(1, 'Username is required').max(254),
    password: z.string().min(1, 'Password is required').max(256),
  })
  .strict();

export const changePasswordSchema = z
  .object({
    currentPassword: z.string().min(1, 'Current password is required').max(256),
    newPassword: z.string().min(1, 'New password is required').max(256),
  })
  .strict();

/** An admin sets or resets a user's password; a temporary one must be replaced at the next sign-in. */
export const userPasswordSchema = z
  .object({
    password: z.string().min(1, 'Password is required').max(256),
    temporary: z.boolean().optional(),
  })
  .strict();
export type UserPasswordInput = z.output<typeof userPasswordSchema>;

export const savedFilterCreateSchema = z
  .object({
    name: trimmed(80).min(1, 'Name is required'),
    filter: userFilterSchema,
    sort: z.enum(USER_SORTS).optional(),
    order: z.enum(['asc', 'desc']).optional(),
    isDefault: z.boolean().optional(),
  })
  .strict();
export type SavedFilterCreate = z.output<typeof savedFilterCreateSchema>;

/** A date or date and time with its offset, in years 1 to 9999 once in UTC. */
const auditInstant = z.iso
  .datetime({ offset: true })
  .or(z.iso.date())
  .refine((value) => storableInstant(value) !== null, 'Enter a date between years 1 and 9999');

export const auditQuerySchema = z
  .object({
    action: z.string().max(100).optional(),
    actor: z.string().max(100).optional(),
    targetId: z.string().max(100).optional(),
    q: z.string().max(200).optional(),
    from: auditInstant.optional(),
    to: auditInstant.optional(),
    limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).optional(),
    cursor: z.string().max(200).optional(),
  })
  .strict();
export type AuditQuery = z.output<typeof auditQuerySchema>;

/** What every user may change about themselves (My profile, and the Update Profile / Update Locale actions). */
export const meUpdateSchema = z
  .object({
    firstName: userFields.firstName.optional(),
    lastName: userFields.lastName,
    email: userFields.email,
    phone: userFields.phone,
    timeZone: userFields.timeZone,
    language: userFields.language,
    /** The required action this change completes. */
    complete: z.enum(['update_profile', 'update_locale']).optional(),
    /** Needed to change one's email (password users): a session alone may not move where resets go. */
    currentPassword: z.string().max(1024).optional(),
  })
  .strict();
export type MeUpdate = z.output<typeof meUpdateSchema>;

const sixDigits = z
  .string()
  .trim()
  .regex(/^\d{6}$/, 'Enter the 6 digits your app shows');

export const secondFactorSchema = z
  .object({
    code: sixDigits.optional(),
    recoveryCode: z.string().trim().min(1, 'Enter a recovery code').max(20, 'Not a recovery code').optional(),
  })
  .strict()
  .refine((value) => Boolean(value.code) !== Boolean(value.recoveryCode), {
    message: 'Enter the code from your app, or a recovery code',
    path: ['code'],
  });

export const otpConfirmSchema = z
  .object({
    code: sixDigits,
    /** Needed to replace a device that works. */
    currentPassword: z.string().max(256).optional(),
  })
  .strict();

export const currentPasswordSchema = z
  .object({ currentPassword: z.string().min(1, 'Your current password is needed').max(256) })
  .strict();

export const secondFactorSettingsSchema = z.object({ requireAdminOtp: z.boolean() }).strict();
