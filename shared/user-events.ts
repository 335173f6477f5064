// The events every change of a user writes to the outbox (and webhooks deliver), and what each carries.
import type { AppKey } from './access.js';

export const USER_EVENT_TYPES = [
  'user.created',
  'user.updated',
  'user.deleted',
  'user.enabled',
  'user.disabled',
  'license.granted',
  'license.revoked',
  'user.roles_changed',
  'team.membership_changed',
  'user.moved',
] as const;
export type UserEventType = (typeof USER_EVENT_TYPES)[number];

export const USER_EVENT_LABELS: Record<UserEventType, string> = {
  'user.created': 'User created',
  'user.updated': 'User updated',
  'user.deleted': 'User deleted',
  'user.enabled': 'User enabled',
  'user.disabled': 'User disabled',
  'license.granted': 'License granted',
  'license.revoked': 'License revoked',
  'user.roles_changed': 'Role mapping changed',
  'team.membership_changed': 'Team membership changed',
  'user.moved': 'User moved to another team',
};

/** The user as an application of the suite needs them to create or update the user on its side. */
export interface UserEventSnapshot {
  id: number;
  username: string;
  email: string | null;
  firstName: string;
  lastName: string | null;
  phone: string | null;
  department: string | null;
  enabled: boolean;
  accessType: string;
  authMethod: string;
  source: string;
  externalId: string | null;
  title: string | null;
  language: string | null;
  timeZone: string | null;
  /** The applications the user is licensed for. */
  licenses: AppKey[];
  /**
   * For each licensed application: `role`, the role the user's access type maps to there (Standard: AGENT,
   * Admin: ADMINISTRATOR in chat), and `roles`, that role and every role mapping the user holds in the application.
   */
  applications: { application: AppKey; role: string | null; roles: string[] }[];
  mainTeam: { id: number; name: string; path: string } | null;
}

export interface UserEventPayload {
  user: UserEventSnapshot;
  change?: Record<string, unknown>;
  [extra: string]: unknown;
}
