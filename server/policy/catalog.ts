// The suite's access policy as data: each application's built-in roles and composites, the role each access type
// maps to, and the rules that say which role allows which action on whose resource. Decisions read only this.

import type { AppKey } from '../../shared/access.js';
import type { AccessType } from '../../shared/constants.js';

export interface BuiltInRole {
  name: string;
  description: string;
  /** Present on composite roles: the roles (of the same application) it expands to. */
  children?: string[];
}

/**
 * Whose resource a rule covers: `own` the user's own, `any` everyone's (or a resource without an owner),
 * `member_group` resources of a group the user is a member of, `managed_group` resources of direct members of a
 * group the user can manage (reviewers). The two group scopes are answered by the group facts (see decide.ts).
 */
export type Scope = 'own' | 'any' | 'member_group' | 'managed_group';

export interface Rule {
  /** Stable id, returned as the reason of a decision. */
  id: string;
  app: AppKey;
  /** The action without the application prefix, e.g. `recording.read`. */
  action: string;
  scope: Scope;
  /** Roles the user must all hold (effective roles, after composites). Empty: any licensed user. */
  roles: string[];
  /** An extra per-user switch the rule depends on. */
  condition?: 'analysis_enabled';
}

export interface BuiltInApp {
  key: AppKey;
  roles: BuiltInRole[];
  /** The role each access type maps to in this application; `owner` is the account's unique owner. */
  accessTypeRoles: Partial<Record<AccessType | 'owner', string>>;
  /** A role no role mapping may give: it belongs to the account owner only. */
  ownerOnlyRole?: string;
}

const VA_TYPES = ['recording', 'transcription', 'analysis'] as const;

export const BUILT_IN_APPS: BuiltInApp[] = [
  {
    key: 'voice_analytics',
    roles: [
      { name: 'VA_READ_OWN', description: 'Query and open own recordings, transcriptions and analysis; dashboard' },
      {
        name: 'VA_MANAGE_OWN',
        description: 'Delete own recordings, transcriptions and analysis; rate own transcriptions',
      },
      { name: 'VA_READ_ALL', description: 'Query and open all recordings, transcriptions and analysis' },
      { name: 'VA_ALARMS', description: 'Create alarms on sentiments or words and sentences in transcriptions' },
      { name: 'VA_OWN_READONLY', description: 'Own recordings, read only', children: ['VA_READ_OWN'] },
      {
        name: 'VA_OWN_RECORDINGS',
        description: 'Access to own recordings',
        children: ['VA_READ_OWN', 'VA_MANAGE_OWN'],
      },
      {
        name: 'VA_ALL_RECORDINGS',
        description: 'Access to all recordings',
        children: ['VA_OWN_RECORDINGS', 'VA_READ_ALL', 'VA_ALARMS'],
      },
    ],
    accessTypeRoles: {
      owner: 'VA_ALL_RECORDINGS',
      admin: 'VA_ALL_RECORDINGS',
      standard: 'VA_OWN_RECORDINGS',
      read_only: 'VA_OWN_READONLY',
    },
  },
  {
    key: 'call_recording',
    roles: [
      { name: 'CR_PLAY_OWN', description: 'Play and download own recordings' },
      { name: 'CR_PLAY_ALL', description: 'Play and download all recordings' },
      { name: 'CR_DELETE', description: 'Delete recordings' },
      { name: 'CR_OWN_RECORDINGS', description: 'Access to own recordings', children: ['CR_PLAY_OWN'] },
      {
        name: 'CR_ALL_RECORDINGS',
        description: 'Access to all recordings',
        children: ['CR_OWN_RECORDINGS', 'CR_PLAY_ALL', 'CR_DELETE'],
      },
    ],
    accessTypeRoles: {
      owner: 'CR_ALL_RECORDINGS',
      admin: 'CR_ALL_RECORDINGS',
      standard: 'CR_OWN_RECORDINGS',
      read_only: 'CR_OWN_RECORDINGS',
    },
  },
  {
    key: 'quality_management',
    roles: [
      { name: 'EVAL_AGENTS', description: 'Review (evaluate) agents of the groups one can manage' },
      { name: 'CREATE_EVALS', description: 'Create evaluations' },
      { name: 'INTERACTIONS_GROUP_VIEW', description: 'See conversations of the groups one can manage' },
      { name: 'INTERACTIONS_OWN_VIEW', description: 'See own conversations' },
      { name: 'EVALS_OWN_VIEW', description: 'See own evaluations' },
      { name: 'CALIBRATE_EVALS', description: 'Calibrate evaluations' },
      { name: 'REPORTS_VIEW', description: 'See quality reports' },
      { name: 'SCHEDULE_VIEW', description: 'View a schedule' },
      { name: 'FORECAST_EDIT', description: 'Edit a forecast' },
      { name: 'FILE_UPLOAD', description: 'Upload a file' },
      {
        name: 'DEFAULT_AGENT',
        description: 'An agent: own conversations, evaluations and schedule',
        children: ['INTERACTIONS_OWN_VIEW', 'EVALS_OWN_VIEW', 'SCHEDULE_VIEW'],
      },
      {
        name: 'DEFAULT_SCORER',
        description: 'A scorer: reviews the groups they can manage',
        children: ['EVAL_AGENTS', 'CREATE_EVALS', 'INTERACTIONS_GROUP_VIEW'],
      },
      {
        name: 'DEFAULT_TEAM_LEADER',
        description: 'A team leader: an agent who reviews the groups they can manage',
        children: ['DEFAULT_AGENT', 'EVAL_AGENTS', 'CREATE_EVALS', 'INTERACTIONS_GROUP_VIEW'],
      },
      {
        name: 'DEFAULT_SUPERVISOR',
        description: 'A supervisor: a team leader who also calibrates and sees reports',
        children: ['DEFAULT_TEAM_LEADER', 'CALIBRATE_EVALS', 'REPORTS_VIEW'],
      },
      {
        name: 'DEFAULT_CC_MANAGER',
        description: 'A contact-center manager: a supervisor who also plans',
        children: ['DEFAULT_SUPERVISOR', 'FORECAST_EDIT', 'FILE_UPLOAD'],
      },
    ],
    // Quality Management roles come from role mappings; only Scorer maps to one.
    accessTypeRoles: { scorer: 'DEFAULT_SCORER' },
  },
  {
    key: 'chat',
    roles: [
      { name: 'AGENT', description: 'Chats with customers; own and own group conversations; personal settings' },
      {
        name: 'ADMINISTRATOR',
        description:
          'An agent who also sees all chats, archives, and manages global settings, triggers, departments, groups, canned responses, tags and analytics',
        children: ['AGENT'],
      },
      {
        name: 'OWNER',
        description: 'Full control of the chat tenant; only the account owner',
        children: ['ADMINISTRATOR'],
      },
    ],
    accessTypeRoles: { owner: 'OWNER', admin: 'ADMINISTRATOR', standard: 'AGENT' },
    ownerOnlyRole: 'OWNER',
  },
  {
    key: 'call_tracking',
    roles: [
      { name: 'CT_REPORTS_VIEW', description: 'See call-tracking reports' },
      { name: 'CT_CAMPAIGNS_MANAGE', description: 'Manage tracking numbers and campaigns' },
      { name: 'CT_USER', description: 'A call-tracking user', children: ['CT_REPORTS_VIEW'] },
      {
        name: 'CT_ADMINISTRATOR',
        description: 'A call-tracking administrator',
        children: ['CT_USER', 'CT_CAMPAIGNS_MANAGE'],
      },
    ],
    accessTypeRoles: {
      owner: 'CT_ADMINISTRATOR',
      admin: 'CT_ADMINISTRATOR',
      standard: 'CT_USER',
      read_only: 'CT_USER',
    },
  },
];

export const BUILT_IN_BY_APP = new Map(BUILT_IN_APPS.map((app) => [app.key, app]));

/** The role an access type maps to in an application, if any; the owner maps as `owner`. */
export function mappedRole(app: AppKey, accessType: string, isOwner: boolean): string | undefined {
  const roles = BUILT_IN_BY_APP.get(app)?.accessTypeRoles;
  if (!roles) return undefined;
  return (isOwner ? roles.owner : undefined) ?? roles[accessType as AccessType];
}

function rule(app: AppKey, action: string, scope: Scope, roles: string[], condition?: Rule['condition']): Rule {
  return { id: `${app}.${action}.${scope}`, app, action, scope, roles, ...(condition ? { condition } : {}) };
}

export const RULES: Rule[] = [
  // Voice Analytics: the permission matrix of the product documentation, row by row.
  rule('voice_analytics', 'recording.analyze', 'own', [], 'analysis_enabled'),
  ...VA_TYPES.flatMap((type) => [
    rule('voice_analytics', `${type}.read`, 'own', ['VA_READ_OWN']),
    rule('voice_analytics', `${type}.read`, 'any', ['VA_READ_ALL']),
    rule('voice_analytics', `${type}.delete`, 'own', ['VA_MANAGE_OWN']),
  ]),
  rule('voice_analytics', 'transcription.rate', 'own', ['VA_MANAGE_OWN']),
  rule('voice_analytics', 'dashboard.view', 'any', ['VA_READ_OWN']),
  rule('voice_analytics', 'dashboard.filter', 'own', ['VA_READ_OWN']),
  rule('voice_analytics', 'dashboard.filter', 'any', ['VA_READ_ALL']),
  rule('voice_analytics', 'alarm.create', 'any', ['VA_ALARMS']),

  // Call Recording.
  ...['recording.play', 'recording.download'].flatMap((action) => [
    rule('call_recording', action, 'own', ['CR_PLAY_OWN']),
    rule('call_recording', action, 'any', ['CR_PLAY_ALL']),
  ]),
  rule('call_recording', 'recording.delete', 'any', ['CR_DELETE']),

  // Quality Management: reviewing needs both EVAL_AGENTS and CREATE_EVALS, on direct members of managed groups.
  rule('quality_management', 'evaluation.create', 'managed_group', ['EVAL_AGENTS', 'CREATE_EVALS']),
  rule('quality_management', 'evaluation.read', 'own', ['EVALS_OWN_VIEW']),
  rule('quality_management', 'evaluation.read', 'managed_group', ['EVAL_AGENTS']),
  rule('quality_management', 'evaluation.calibrate', 'managed_group', ['CALIBRATE_EVALS']),
  rule('quality_management', 'interaction.read', 'own', ['INTERACTIONS_OWN_VIEW']),
  rule('quality_management', 'interaction.read', 'managed_group', ['INTERACTIONS_GROUP_VIEW']),
  rule('quality_management', 'report.view', 'any', ['REPORTS_VIEW']),
  rule('quality_management', 'schedule.view', 'own', ['SCHEDULE_VIEW']),
  rule('quality_management', 'forecast.edit', 'any', ['FORECAST_EDIT']),
  rule('quality_management', 'file.upload', 'any', ['FILE_UPLOAD']),

  // Chat routing: Agent, Administrator (all of Agent), Owner (all of Administrator).
  rule('chat', 'chat.engage', 'any', ['AGENT']),
  rule('chat', 'contact.read', 'any', ['AGENT']),
  rule('chat', 'settings.personal', 'own', ['AGENT']),
  ...['conversation.read', 'conversation.add_teammate', 'conversation.forward'].flatMap((action) => [
    rule('chat', action, 'own', ['AGENT']),
    rule('chat', action, 'member_group', ['AGENT']),
  ]),
  rule('chat', 'conversation.read', 'any', ['ADMINISTRATOR']),
  ...[
    'conversation.archive',
    'settings.global',
    'trigger.manage',
    'department.manage',
    'group.manage',
    'canned_response.manage',
    'tag.manage',
    'analytics.view',
  ].map((action) => rule('chat', action, 'any', ['ADMINISTRATOR'])),
  rule('chat', 'tenant.manage', 'any', ['OWNER']),

  // Call Tracking.
  rule('call_tracking', 'report.view', 'any', ['CT_REPORTS_VIEW']),
  rule('call_tracking', 'campaign.manage', 'any', ['CT_CAMPAIGNS_MANAGE']),
];

/** Rules by full action name (`app:action`). */
export const RULES_BY_ACTION = new Map<string, Rule[]>();
for (const r of RULES) {
  const key = `${r.app}:${r.action}`;
  RULES_BY_ACTION.set(key, [...(RULES_BY_ACTION.get(key) ?? []), r]);
}

/** Roster's own actions, answered by the account policy (policy.ts) rather than by application roles. */
export const ROSTER_ACTIONS = ['roster:users.manage', 'roster:audit.read'] as const;

export const ALL_ACTIONS = [...ROSTER_ACTIONS, ...RULES_BY_ACTION.keys()];
