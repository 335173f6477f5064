// The user as the API returns it: one definition for the server's presenter and the console.
import type { AccessType, AuthMethod, UserStatus } from './constants.js';

export interface User {
  id: number;
  username: string;
  email: string | null;
  emailVerified: boolean;
  firstName: string;
  lastName: string | null;
  displayName: string;
  phone: string | null;
  department: string | null;
  accessType: AccessType;
  authMethod: AuthMethod;
  enabled: boolean;
  status: UserStatus;
  isOwner: boolean;
  timeZone: string | null;
  language: string | null;
  validFrom: string | null;
  expiresAt: string | null;
  source: string;
  syncEnabled: boolean;
  nicknames: string[];
  /** Call tracking. */
  agentId: string;
  ringTo: string | null;
  scoringEnabled: boolean;
  roamingAgent: boolean;
  reportingAccess: 'none' | 'own' | 'groups' | 'all';
  audioAccess: 'none' | 'listen' | 'download';
  scoringAccess: 'none' | 'view' | 'score';
  /** Groups the user may see (call tracking); given on single-user answers only, not in lists. */
  visibleGroupIds?: number[];
  licenses: { app: string; name: string }[];
  createdAt: string;
  updatedAt: string;
  lastSignInAt: string | null;
  /** The user's profile (named permission set for admin modules), or null. */
  profileId: number | null;
  /** Locked out of password sign-in after too many failures in a row, until `lockedUntil` or an admin unlocks. */
  locked: boolean;
  lockedUntil: string | null;
}

/** What the caller may do with a user, returned with it so the console never re-derives permissions. */
export interface UserAbilities {
  update: boolean;
  delete: boolean;
}
