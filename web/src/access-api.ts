// Shapes of the access API as the console reads them: roles, role mappings, licenses, settings, application keys.
import type { AppKey, ChatStatus, PoolKind } from '../../shared/access.js';

export type Role = {
  id: number;
  application: AppKey;
  name: string;
  description: string;
  composite: boolean;
  builtIn: boolean;
  children: { id: number; name: string }[];
  effective: string[];
  can: { update: boolean; delete: boolean };
};

export type Application = {
  key: AppKey;
  name: string;
  license: string;
  accessTypeRoles: { accessType: string; role: string }[];
  roles: Role[];
};

type BriefRole = Omit<Role, 'children' | 'effective' | 'can'>;

export type UserAccessAbilities = { assignRoles: boolean; manageLicenses: boolean; editSettings: boolean };

export type UserRoles = {
  assigned: BriefRole[];
  fromAccessType: (BriefRole & { via: string })[];
  effective: (BriefRole & { from: string[] })[];
  can: UserAccessAbilities;
};

export type UserLicenses = {
  applications: {
    application: AppKey;
    name: string;
    license: string;
    licensed: boolean;
    grantedAt: string | null;
    pool: { kind: PoolKind; size: number; used: number } | null;
  }[];
  analysisEnabled: boolean;
  can: UserAccessAbilities;
};

export type LicenseOverview = {
  users: number;
  applications: {
    application: AppKey;
    name: string;
    license: string;
    kind: PoolKind;
    licensedUsers: number;
    pool: { size: number; used: number; licensedByDefault: boolean; updatedAt: string } | null;
    can: { updatePool: boolean };
  }[];
};

export type AppSettings = {
  chat: { status: ChatStatus; chatLimit: number; tag: string };
  analysisEnabled: boolean;
  can: UserAccessAbilities;
};

export type ApiKey = {
  id: number;
  name: string;
  hint: string;
  createdAt: string;
  lastUsedAt: string | null;
  can: { revoke: boolean };
};
