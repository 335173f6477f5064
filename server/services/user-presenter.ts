// Turns a users row into the API's User object, and builds the folded text the search index holds.

import type { Selectable } from 'kysely';
import type { AccessType, AuthMethod, RequiredAction, UserStatus } from '../../shared/constants.js';
import type { UserListItem } from '../../shared/responses/users.js';
import { foldText, matchRanges } from '../../shared/search-text.js';
import type { User } from '../../shared/user.js';
import type { UsersTable } from '../db/schema/users.js';
import { type Actor, type UserSubject, userAbilities } from '../policy.js';
import { searchForm } from '../search/form.js';
import { presentLicenses } from './licenses.js';

export type UserRow = Selectable<UsersTable>;

export type { User };

export const displayName = (row: Pick<UserRow, 'first_name' | 'last_name' | 'username'>) =>
  `${row.first_name} ${row.last_name}`.trim() || row.username;

export function presentUser(row: UserRow, now: Date = new Date()): User {
  return {
    id: row.id,
    username: row.username,
    email: row.email || null,
    emailVerified: row.email_verified === 1,
    firstName: row.first_name,
    lastName: row.last_name || null,
    displayName: displayName(row),
    phone: row.phone || null,
    department: row.department || null,
    accessType: row.access_type as AccessType,
    authMethod: row.auth_method as AuthMethod,
    enabled: row.enabled === 1,
    status: row.status as UserStatus,
    isOwner: row.is_owner === 1,
    timeZone: row.time_zone || null,
    language: row.language || null,
    validFrom: row.valid_from,
    expiresAt: row.expires_at,
    source: row.source,
    syncEnabled: row.sync_enabled === 1,
    externalId: row.external_id ?? null,
    title: row.title ?? '',
    employeeNumber: row.employee_number ?? '',
    managerId: row.manager_id ?? null,
    nicknames: JSON.parse(row.nicknames) as string[],
    agentId: row.agent_id,
    ringTo: row.ring_to || null,
    scoringEnabled: row.scoring_enabled === 1,
    roamingAgent: row.roaming_agent === 1,
    reportingAccess: row.reporting_access as User['reportingAccess'],
    audioAccess: row.audio_access as User['audioAccess'],
    scoringAccess: row.scoring_access as User['scoringAccess'],
    licenses: presentLicenses(row.license_apps),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    lastSignInAt: row.last_sign_in_at,
    profileId: row.profile_id ?? null,
    locked: isLocked(row, now),
    lockedUntil: isLocked(row, now) ? row.locked_until : null,
    requiredActions: JSON.parse(row.required_actions) as RequiredAction[],
  };
}

/** Locked out of password sign-in (brute-force protection) at this moment. */
export function isLocked(row: Pick<UserRow, 'locked_until'>, now: Date): boolean {
  return row.locked_until !== null && row.locked_until !== undefined && new Date(row.locked_until) > now;
}

/** What the policy needs to know of a user. */
export function userSubject(
  row: Pick<UserRow, 'id' | 'account_id' | 'is_owner' | 'access_type' | 'department'>,
): UserSubject {
  return {
    id: row.id,
    accountId: row.account_id,
    isOwner: row.is_owner === 1,
    isAdmin: row.access_type === 'admin',
    department: row.department,
  };
}

export function presentUserFor(actor: Actor, row: UserRow, now?: Date) {
  return { ...presentUser(row, now), can: userAbilities(actor, userSubject(row)) };
}

/** What the audit log keeps of a user: everything the API shows but timestamps that change on their own. */
export function auditSnapshot(row: UserRow): Record<string, unknown> {
  const {
    updatedAt: _u,
    lastSignInAt: _l,
    licenses: _x,
    displayName: _d,
    locked: _k,
    lockedUntil: _ku,
    ...rest
  } = presentUser(row);
  return rest;
}

type SearchFields = Pick<
  UserRow,
  'first_name' | 'last_name' | 'username' | 'email' | 'phone' | 'department' | 'nicknames'
>;

/**
 * Columns computed from a user's fields: the search document and the folded name sort keys. `fold` is the search's
 * folding (a migration passes the one it moves from or to).
 */
export function derivedColumns(
  row: SearchFields,
  nicknames: string[] = JSON.parse(row.nicknames) as string[],
  fold: (value: string) => string = foldText,
) {
  const first = fold(row.first_name);
  const last = fold(row.last_name);
  return {
    search_doc: searchDocument(row, nicknames, fold),
    name_key: `${last}\u0001${first}`,
    first_key: `${first}\u0001${last}`,
  };
}

/**
 * Folded search fields in their search form (see searchForm); every field starts with a space, so its first word does
 * too, and ends with a newline, so no match spans two fields.
 */
export function searchDocument(
  row: SearchFields,
  nicknames: string[] = JSON.parse(row.nicknames) as string[],
  fold: (value: string) => string = foldText,
): string {
  const digits = row.phone.replace(/\D/g, '');
  const fields = [row.first_name, row.last_name, row.username, row.email, row.phone, ...nicknames, row.department];
  if (digits && digits !== row.phone) fields.push(digits);
  return fields
    .filter((field) => field !== '')
    .map((field) => searchField(field, fold))
    .join('');
}

/** One field of a search document: after a space, in its search form, to a newline. */
export function searchField(value: string, fold: (value: string) => string = foldText): string {
  return ` ${searchForm(fold(value).replaceAll('\n', ' '))}\n`;
}

export type Highlights = UserListItem['highlights'];

export function highlightsFor(user: User, terms: string[]): Highlights {
  const out: Highlights = {};
  const fields = {
    firstName: user.firstName,
    lastName: user.lastName,
    username: user.username,
    email: user.email,
    phone: user.phone,
    department: user.department,
    nicknames: user.nicknames.join(', '),
  };
  for (const [key, value] of Object.entries(fields)) {
    const ranges = matchRanges(value, terms);
    if (ranges.length > 0) out[key as keyof Highlights] = ranges;
  }
  return out;
}
