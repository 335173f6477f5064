// Answers "may user U do action A on resource R?" from the policy catalog and the facts about U, with the reason.
// Pure: the decision service loads the facts, the console's `can` flags and the decision API both come through here.
import { type AppKey, isAppKey } from '../../shared/access.js';
import { ACCESS_TYPE_LABELS, type AccessType } from '../../shared/constants.js';
import { type Actor, canOnAccount } from '../policy.js';
import { mappedRole, RULES_BY_ACTION, type Rule, type Scope } from './catalog.js';

/** A role as the catalog knows it: `key` is `app/NAME`. */
export interface CatalogRole {
  id: number;
  app: AppKey;
  name: string;
  key: string;
  composite: boolean;
  builtIn: boolean;
  description: string;
  children: number[];
}

/** An account's roles with each role's expansion (itself and every role it contains, nested). */
export interface RoleCatalog {
  version: number;
  roles: Map<number, CatalogRole>;
  byKey: Map<string, CatalogRole>;
  closure(roleId: number): ReadonlySet<string>;
}

/** What a decision needs to know about the user it is asked about. */
export interface Subject {
  id: number;
  accountId: number;
  username: string;
  accessType: string;
  isOwner: boolean;
  enabled: boolean;
  validFrom: string | null;
  expiresAt: string | null;
  licenses: ReadonlySet<string>;
  analysisEnabled: boolean;
  roleIds: readonly number[];
}

/** Group facts for the group scopes; the groups feature provides them, until then nobody is in any group. */
export interface GroupFacts {
  /** Is the user a member of the group? */
  isMember(userId: number, groupId: number): boolean;
  /** Can the user manage (review) the group, and is `ownerId` a direct member of it (not of a subgroup)? */
  canReview(userId: number, groupId: number, ownerId: number | undefined): boolean;
}

export const NO_GROUPS: GroupFacts = { isMember: () => false, canReview: () => false };

export interface Resource {
  type?: string;
  id?: string | number;
  ownerId?: number;
  groupId?: number;
}

export type DecisionCode =
  | 'Allowed'
  | 'UnknownUser'
  | 'UnknownAction'
  | 'UserDisabled'
  | 'UserNotValid'
  | 'NotLicensed'
  | 'AnalysisDisabled'
  | 'NoRole'
  | 'OutOfScope';

export interface Decision {
  allowed: boolean;
  reason: {
    code: DecisionCode;
    message: string;
    /** The rule that allowed it, or the closest rule that did not. */
    rule?: string;
    /** The role the rule asks for. */
    role?: string;
    /** Where the user's role comes from: a role mapping or their access type. */
    via?: string;
  };
}

/** One source of effective roles: the role an access type maps to, or a role mapping. */
interface RoleSource {
  roleId: number;
  via: string;
}

type RoleHolder = Pick<Subject, 'accessType' | 'isOwner' | 'roleIds'>;

export function roleSources(subject: RoleHolder, catalog: RoleCatalog, app?: AppKey): RoleSource[] {
  const sources: RoleSource[] = [];
  const apps = app ? [app] : [...new Set([...catalog.roles.values()].map((role) => role.app))];
  for (const key of apps) {
    const name = mappedRole(key, subject.accessType, subject.isOwner);
    const role = name ? catalog.byKey.get(`${key}/${name}`) : undefined;
    if (role) {
      const asOwner = subject.isOwner && name !== mappedRole(key, subject.accessType, false);
      sources.push({ roleId: role.id, via: asOwner ? 'Owner' : `access type ${accessTypeLabel(subject.accessType)}` });
    }
  }
  for (const roleId of subject.roleIds) {
    const role = catalog.roles.get(roleId);
    if (role && (!app || role.app === app)) sources.push({ roleId, via: 'role mapping' });
  }
  return sources;
}

/** Every role the user holds, after expanding composites: `app/NAME` keys. */
export function effectiveRoleKeys(subject: RoleHolder, catalog: RoleCatalog, app?: AppKey): Set<string> {
  const out = new Set<string>();
  for (const source of roleSources(subject, catalog, app))
    for (const key of catalog.closure(source.roleId)) out.add(key);
  return out;
}

const accessTypeLabel = (type: string) => ACCESS_TYPE_LABELS[type as AccessType] ?? type;
const deny = (code: DecisionCode, message: string, extra: Partial<Decision['reason']> = {}): Decision => ({
  allowed: false,
  reason: { code, message, ...extra },
});

export function subjectActor(subject: Subject): Actor {
  return {
    userId: subject.id,
    accountId: subject.accountId,
    username: subject.username,
    accessType: subject.accessType,
    isOwner: subject.isOwner,
  };
}

export function decide(
  subject: Subject | undefined,
  action: string,
  resource: Resource | undefined,
  catalog: RoleCatalog,
  options: { now: Date; groups?: GroupFacts },
): Decision {
  if (!subject) return deny('UnknownUser', 'No such user in this account');
  const colon = action.indexOf(':');
  const app = action.slice(0, colon);
  const rules = RULES_BY_ACTION.get(action);
  if (app === 'roster') {
    const verb = action.slice(colon + 1);
    if (verb !== 'users.manage' && verb !== 'audit.read') return deny('UnknownAction', `Unknown action ${action}`);
    if (!subject.enabled) return deny('UserDisabled', 'The user is disabled');
    const allowed = canOnAccount(subjectActor(subject), verb, subject.accountId);
    const via = subject.isOwner ? 'Owner' : `access type ${accessTypeLabel(subject.accessType)}`;
    return allowed
      ? { allowed, reason: { code: 'Allowed', message: `Admins and the owner may ${verb}`, rule: action, via } }
      : deny('NoRole', 'Only admins and the owner may do this', { rule: action, via });
  }
  if (!rules || !isAppKey(app)) return deny('UnknownAction', `Unknown action ${action}`);

  if (!subject.enabled) return deny('UserDisabled', 'The user is disabled');
  const now = options.now.toISOString();
  if ((subject.validFrom && subject.validFrom > now) || (subject.expiresAt && subject.expiresAt <= now)) {
    return deny('UserNotValid', 'The user is not valid at this time (valid-from or expiration date)');
  }
  if (!subject.licenses.has(app)) return deny('NotLicensed', `The user has no ${app} license`);

  const sources = roleSources(subject, catalog, app);
  const holds = (rule: Rule) => {
    if (rule.roles.length === 0) return { via: undefined as string | undefined };
    const keys = rule.roles.map((name) => `${app}/${name}`);
    // The first source that grants every required role names the reason; otherwise all sources together.
    for (const source of sources) {
      const closure = catalog.closure(source.roleId);
      if (keys.every((key) => closure.has(key))) {
        const role = catalog.roles.get(source.roleId);
        return { via: `${role?.name ?? '?'} (${source.via})` };
      }
    }
    const all = new Set<string>();
    for (const source of sources) for (const key of catalog.closure(source.roleId)) all.add(key);
    return keys.every((key) => all.has(key)) ? { via: 'several roles' } : null;
  };

  let outOfScope: Decision | null = null;
  let switchedOff: Decision | null = null;
  for (const rule of rules) {
    const held = holds(rule);
    if (!held) continue;
    const role = rule.roles.join(' + ') || undefined;
    if (!inScope(rule.scope, subject, resource, options.groups ?? NO_GROUPS)) {
      outOfScope ??= deny('OutOfScope', scopeMessage(rule.scope), { rule: rule.id, role, via: held.via });
      continue;
    }
    if (rule.condition === 'analysis_enabled' && !subject.analysisEnabled) {
      switchedOff ??= deny('AnalysisDisabled', 'An admin switched off transcription and analysis for this user', {
        rule: rule.id,
      });
      continue;
    }
    return {
      allowed: true,
      reason: {
        code: 'Allowed',
        message: role ? `Allowed by ${rule.id}: role ${role}` : `Allowed by ${rule.id}`,
        rule: rule.id,
        ...(role ? { role } : {}),
        ...(held.via ? { via: held.via } : {}),
      },
    };
  }
  if (switchedOff) return switchedOff;
  if (outOfScope) return outOfScope;
  const needed = [...new Set(rules.map((rule) => rule.roles.join(' + ')))].join(' or ');
  return deny('NoRole', `The user has no role that allows ${action} (needs ${needed})`, {
    rule: rules[0]?.id,
    role: rules[0]?.roles.join(' + '),
  });
}

function inScope(scope: Scope, subject: Subject, resource: Resource | undefined, groups: GroupFacts): boolean {
  switch (scope) {
    case 'any':
      return true;
    case 'own':
      return resource?.ownerId === subject.id;
    case 'member_group':
      return resource?.groupId !== undefined && groups.isMember(subject.id, resource.groupId);
    case 'managed_group':
      return (
        resource?.groupId !== undefined &&
        resource.ownerId !== subject.id &&
        groups.canReview(subject.id, resource.groupId, resource.ownerId)
      );
    default:
      return false;
  }
}

function scopeMessage(scope: Scope): string {
  switch (scope) {
    case 'own':
      return "The user's role covers their own resources only";
    case 'member_group':
      return "The user's role covers their own groups' resources only";
    case 'managed_group':
      return "The user's role covers direct members of groups they can manage only";
    default:
      return 'Out of scope';
  }
}

/** Builds a catalog from role rows; composites expand depth-first, and a cycle (refused on write) cannot loop. */
export function buildCatalog(version: number, roles: CatalogRole[]): RoleCatalog {
  const byId = new Map(roles.map((role) => [role.id, role]));
  const byKey = new Map(roles.map((role) => [role.key, role]));
  const closures = new Map<number, Set<string>>();
  const expand = (id: number): Set<string> => {
    const known = closures.get(id);
    if (known) return known;
    const out = new Set<string>();
    const stack = [id];
    const seen = new Set<number>();
    while (stack.length > 0) {
      const next = stack.pop() as number;
      if (seen.has(next)) continue;
      seen.add(next);
      const role = byId.get(next);
      if (!role) continue;
      out.add(role.key);
      stack.push(...role.children);
    }
    closures.set(id, out);
    return out;
  };
  return { version, roles: byId, byKey, closure: expand };
}
