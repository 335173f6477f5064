// Vocabulary shared by the server and the console.

export const ACCESS_TYPES = ['admin', 'standard', 'read_only', 'identified_only', 'no_access', 'scorer'] as const;
export type AccessType = (typeof ACCESS_TYPES)[number];
/** Scorer is given only through the API or the command line, never in the console. */
export const CONSOLE_ACCESS_TYPES = ACCESS_TYPES.filter((type) => type !== 'scorer');

export const ACCESS_TYPE_LABELS: Record<AccessType, string> = {
  admin: 'Admin',
  standard: 'Standard',
  read_only: 'Read-only',
  identified_only: 'Identified-only',
  no_access: 'No access',
  scorer: 'Scorer',
};

export const AUTH_METHODS = ['password', 'sso'] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];
export const AUTH_METHOD_LABELS: Record<AuthMethod, string> = { password: 'Password', sso: 'Single sign-on' };

/** Active once the user has signed in; Invited while an invitation waits; Inactive otherwise. */
export const USER_STATUSES = ['active', 'invited', 'inactive'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];
export const USER_STATUS_LABELS: Record<UserStatus, string> = {
  active: 'Active',
  invited: 'Invited',
  inactive: 'Inactive',
};

export const USER_SORTS = [
  'name',
  'firstName',
  'lastName',
  'username',
  'email',
  'phone',
  'department',
  'accessType',
  'authMethod',
  'status',
  'enabled',
  'createdAt',
] as const;
export type UserSort = (typeof USER_SORTS)[number];

export const PAGE_SIZES = [10, 25, 50] as const;
export const MAX_PAGE_SIZE = 500;

/**
 * Searches and group or license filters count exactly up to this many matches on SQLite, then report "at least"
 * (`totalExact: false`).
 */
export const COUNT_CAP = 10_000;
/** The same cap on PostgreSQL, where counting further reads long trigram posting lists. */
export const POSTGRES_COUNT_CAP = 1_000;

/** Tasks a user must finish at their next sign-in before anything else (seed 001's Required User Actions). */
export const REQUIRED_ACTIONS = [
  'update_password',
  'configure_otp',
  'update_profile',
  'verify_email',
  'update_locale',
] as const;
export type RequiredAction = (typeof REQUIRED_ACTIONS)[number];
export const REQUIRED_ACTION_LABELS: Record<RequiredAction, string> = {
  update_password: 'Update Password',
  configure_otp: 'Configure OTP',
  update_profile: 'Update Profile',
  verify_email: 'Verify Email',
  update_locale: 'Update User Locale',
};
