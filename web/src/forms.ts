// Form state of a user and its conversion to the API's create/update bodies, validated by the shared schemas.
import type { AccessType, AuthMethod } from '../../shared/constants.js';
import type { UserCreateInput, UserUpdateInput } from '../../shared/schemas.js';
import type { User } from './api.js';

type Issue = { path: PropertyKey[]; message: string };

/** One message per top-level field (the first issue wins), for showing each under its input. */
/** Issues by field: the top-level field name, or the whole dotted path (smtp.host) with `nested`. */
export function issuesByField(issues: readonly Issue[], options: { nested?: boolean } = {}): Record<string, string> {
  const map: Record<string, string> = {};
  for (const issue of issues) {
    const key =
      options.nested && issue.path.length ? issue.path.map(String).join('.') : String(issue.path[0] ?? '_form');
    map[key] ??= issue.message;
  }
  return map;
}

export type UserFormValues = {
  username: string;
  firstName: string;
  lastName: string;
  email: string;
  emailVerified: boolean;
  phone: string;
  department: string;
  accessType: AccessType;
  authMethod: AuthMethod;
  enabled: boolean;
  timeZone: string;
  language: string;
  validFrom: string;
  expiresAt: string;
  nicknames: string;
  password: string;
  temporaryPassword: boolean;
  /** Creating only: mail the user an invitation. */
  sendInvitation: boolean;
  agentId: string;
  ringTo: string;
  scoringEnabled: boolean;
  roamingAgent: boolean;
  reportingAccess: User['reportingAccess'];
  audioAccess: User['audioAccess'];
  scoringAccess: User['scoringAccess'];
  visibleGroupIds: number[];
};

export const EMPTY_USER_FORM: UserFormValues = {
  username: '',
  firstName: '',
  lastName: '',
  email: '',
  emailVerified: false,
  phone: '',
  department: '',
  accessType: 'standard',
  authMethod: 'password',
  enabled: true,
  timeZone: '',
  language: '',
  validFrom: '',
  expiresAt: '',
  nicknames: '',
  password: '',
  temporaryPassword: true,
  sendInvitation: true,
  agentId: '',
  ringTo: '',
  scoringEnabled: false,
  roamingAgent: false,
  reportingAccess: 'none',
  audioAccess: 'none',
  scoringAccess: 'none',
  visibleGroupIds: [],
};

export const FIELD_LABELS: Record<string, string> = {
  username: 'Username',
  firstName: 'First name',
  lastName: 'Last name',
  email: 'Email',
  emailVerified: 'Email verified',
  phone: 'Number',
  department: 'Department',
  accessType: 'Access type',
  authMethod: 'Authentication',
  enabled: 'Enabled',
  timeZone: 'Time zone',
  language: 'Language',
  validFrom: 'Valid from',
  expiresAt: 'Expires',
  nicknames: 'Nicknames',
  password: 'Password',
  temporaryPassword: 'Temporary password',
  sendInvitation: 'Send invitation',
  agentId: 'Agent ID',
  ringTo: 'Agent ring-to',
  scoringEnabled: 'Enable scoring',
  roamingAgent: 'Roaming agent',
  reportingAccess: 'Reporting',
  audioAccess: 'Audio',
  scoringAccess: 'Scoring',
  visibleGroupIds: 'Groups they may see',
};

export const LANGUAGE_OPTIONS = [
  { value: '', label: 'Default (English)' },
  { value: 'en', label: 'English' },
  { value: 'en-GB', label: 'English (United Kingdom)' },
  { value: 'es', label: 'Spanish' },
  { value: 'fr', label: 'French' },
  { value: 'de', label: 'German' },
  { value: 'it', label: 'Italian' },
  { value: 'nl', label: 'Dutch' },
  { value: 'pl', label: 'Polish' },
  { value: 'pt', label: 'Portuguese' },
  { value: 'pt-BR', label: 'Portuguese (Brazil)' },
];

export function timeZones(): string[] {
  try {
    return Intl.supportedValuesOf('timeZone');
  } catch {
    return ['UTC', 'Europe/London', 'Europe/Rome', 'America/New_York', 'America/Sao_Paulo', 'Asia/Tokyo'];
  }
}

export function parseNicknames(text: string): string[] {
  return text
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name.length > 0);
}

function dateInput(value: string | null): string {
  return value ? value.slice(0, 10) : '';
}

export function userToForm(user: User): UserFormValues {
  return {
    username: user.username,
    firstName: user.firstName ?? '',
    lastName: user.lastName ?? '',
    email: user.email ?? '',
    emailVerified: user.emailVerified,
    phone: user.phone ?? '',
    department: user.department ?? '',
    accessType: user.accessType,
    authMethod: user.authMethod,
    enabled: user.enabled,
    timeZone: user.timeZone ?? '',
    language: user.language ?? '',
    validFrom: dateInput(user.validFrom),
    expiresAt: dateInput(user.expiresAt),
    nicknames: user.nicknames.join(', '),
    password: '',
    temporaryPassword: true,
    sendInvitation: false,
    agentId: user.agentId,
    ringTo: user.ringTo ?? '',
    scoringEnabled: user.scoringEnabled,
    roamingAgent: user.roamingAgent,
    reportingAccess: user.reportingAccess,
    audioAccess: user.audioAccess,
    scoringAccess: user.scoringAccess,
    visibleGroupIds: [...(user.visibleGroupIds ?? [])].sort((a, b) => a - b),
  };
}

/** The create body: empty optional fields are left out so the server applies its defaults. */
export function toCreateBody(values: UserFormValues): UserCreateInput {
  const body: UserCreateInput = {
    username: values.username,
    firstName: values.firstName,
    accessType: values.accessType,
    authMethod: values.authMethod,
    enabled: values.enabled,
  };
  const optional = ['lastName', 'email', 'phone', 'department', 'timeZone', 'language'] as const;
  for (const key of optional) if (values[key].trim() !== '') body[key] = values[key];
  const nicknames = parseNicknames(values.nicknames);
  if (nicknames.length > 0) body.nicknames = nicknames;
  if (values.authMethod === 'password' && values.password !== '') {
    body.password = values.password;
    body.temporaryPassword = values.temporaryPassword;
  }
  if (values.sendInvitation && values.email.trim() !== '') body.sendInvitation = true;
  return body;
}

/** The update body: only what changed, so the audit log records exactly the admin's edits. */
export function toUpdateBody(
  values: UserFormValues,
  original: UserFormValues,
  includeAccessType: boolean,
): UserUpdateInput {
  const body: UserUpdateInput = {};
  const texts = [
    'firstName',
    'lastName',
    'email',
    'phone',
    'department',
    'timeZone',
    'language',
    'agentId',
    'ringTo',
  ] as const;
  for (const key of texts) if (values[key] !== original[key]) body[key] = values[key];
  const flags = ['scoringEnabled', 'roamingAgent'] as const;
  for (const key of flags) if (values[key] !== original[key]) body[key] = values[key];
  if (values.reportingAccess !== original.reportingAccess) body.reportingAccess = values.reportingAccess;
  if (values.audioAccess !== original.audioAccess) body.audioAccess = values.audioAccess;
  if (values.scoringAccess !== original.scoringAccess) body.scoringAccess = values.scoringAccess;
  if (values.visibleGroupIds.join(',') !== original.visibleGroupIds.join(','))
    body.visibleGroupIds = values.visibleGroupIds;
  if (values.validFrom !== original.validFrom) body.validFrom = values.validFrom;
  if (values.expiresAt !== original.expiresAt) body.expiresAt = values.expiresAt;
  if (values.emailVerified !== original.emailVerified) body.emailVerified = values.emailVerified;
  if (values.enabled !== original.enabled) body.enabled = values.enabled;
  if (values.authMethod !== original.authMethod) body.authMethod = values.authMethod;
  if (includeAccessType && values.accessType !== original.accessType) body.accessType = values.accessType;
  if (values.nicknames !== original.nicknames) body.nicknames = parseNicknames(values.nicknames);
  return body;
}
