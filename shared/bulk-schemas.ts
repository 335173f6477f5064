// Bulk actions on users: what can be asked (validation + OpenAPI) and how the console names it.
import { z } from 'zod';
import { APP_KEYS } from './access.js';
import { REQUIRED_ACTIONS } from './constants.js';
import { bodyId } from './ids.js';
import { userFilterSchema } from './schemas.js';

export const BULK_ACTIONS = [
  'enable',
  'disable',
  'enable_sync',
  'disable_sync',
  'assign_team',
  'unassign_team',
  'set_main_team',
  'assign_supervisor',
  'unassign_supervisor',
  'assign_role',
  'unassign_role',
  'unlock',
  'send_invitation',
  'add_required_actions',
  'clear_required_actions',
  'assign_license',
  'revoke_license',
  'delete',
] as const;
export type BulkAction = (typeof BULK_ACTIONS)[number];

/**
 * How the console names each action: in the menu, on the confirm button (followed by "N users"), and as the
 * confirmation's sentence (`n` = "1,234 users", `what` = the team, role or license chosen).
 */
export const BULK_ACTION_LABELS: Record<
  BulkAction,
  { menu: string; button: string; sentence: (n: string, what: string) => string }
> = {
  enable: { menu: 'Enable', button: 'Enable', sentence: (n) => `Enable ${n}` },
  disable: { menu: 'Disable', button: 'Disable', sentence: (n) => `Disable ${n}` },
  enable_sync: {
    menu: 'Enable sync',
    button: 'Turn on sync for',
    sentence: (n) => `Turn on synchronization for ${n}`,
  },
  disable_sync: {
    menu: 'Disable sync',
    button: 'Turn off sync for',
    sentence: (n) => `Turn off synchronization for ${n}`,
  },
  assign_team: { menu: 'Assign team…', button: 'Add', sentence: (n, what) => `Add ${n} to the team ${what}` },
  unassign_team: {
    menu: 'Unassign team…',
    button: 'Remove',
    sentence: (n, what) => `Remove ${n} from the team ${what}`,
  },
  set_main_team: {
    menu: 'Set main team…',
    button: 'Update',
    sentence: (n, what) => `Make ${what} the main team of ${n}`,
  },
  assign_supervisor: {
    menu: 'Assign supervisor…',
    button: 'Add',
    sentence: (n, what) => `Make ${n} supervisors of ${what}`,
  },
  unassign_supervisor: {
    menu: 'Unassign supervisor…',
    button: 'Remove',
    sentence: (n, what) => `Remove ${n} as supervisors of ${what}`,
  },
  assign_role: { menu: 'Assign role…', button: 'Assign to', sentence: (n, what) => `Give the role ${what} to ${n}` },
  unassign_role: {
    menu: 'Unassign role…',
    button: 'Take from',
    sentence: (n, what) => `Take the role ${what} from ${n}`,
  },
  unlock: { menu: 'Unlock', button: 'Unlock', sentence: (n) => `Unlock ${n}` },
  send_invitation: {
    menu: 'Send invitation',
    button: 'Invite',
    sentence: (n) => `Mail an invitation to ${n} who have not signed in yet`,
  },
  add_required_actions: {
    menu: 'Set required actions…',
    button: 'Add to',
    sentence: (n, what) => `Add the required actions ${what} to ${n}`,
  },
  clear_required_actions: {
    menu: 'Clear required actions',
    button: 'Clear for',
    sentence: (n) => `Clear the required actions of ${n}`,
  },
  assign_license: {
    menu: 'Assign license…',
    button: 'Assign to',
    sentence: (n, what) => `Give the ${what} license to ${n}`,
  },
  revoke_license: {
    menu: 'Revoke license…',
    button: 'Revoke from',
    sentence: (n, what) => `Revoke the ${what} license of ${n}`,
  },
  delete: { menu: 'Delete', button: 'Delete', sentence: (n) => `Delete ${n}` },
};

/** What each action needs besides the selection. */
export const BULK_ACTION_PARAMS: Record<BulkAction, 'roleId' | 'application' | 'groupId' | 'requiredActions' | null> = {
  enable: null,
  disable: null,
  enable_sync: null,
  disable_sync: null,
  assign_team: 'groupId',
  unassign_team: 'groupId',
  set_main_team: 'groupId',
  assign_supervisor: 'groupId',
  unassign_supervisor: 'groupId',
  assign_role: 'roleId',
  unassign_role: 'roleId',
  unlock: null,
  send_invitation: null,
  add_required_actions: 'requiredActions',
  clear_required_actions: null,
  assign_license: 'application',
  revoke_license: 'application',
  delete: null,
};

/** At most this many users may be named by id in one request (a filter selection has no limit). */
export const MAX_BULK_IDS = 100_000;

export const bulkSelectionSchema = z.union([
  z
    .object({
      ids: z
        .array(bodyId())
        .min(1, 'Select at least one user')
        .max(MAX_BULK_IDS, `At most ${MAX_BULK_IDS} users by id: select by filter instead`),
    })
    .strict(),
  z.object({ filter: userFilterSchema }).strict(),
]);
export type BulkSelection = z.output<typeof bulkSelectionSchema>;

export const bulkRequestSchema = z
  .object({
    action: z.enum(BULK_ACTIONS),
    selection: bulkSelectionSchema,
    roleId: bodyId().optional(),
    application: z.enum(APP_KEYS).optional(),
    /** The team (a group of level 2 or 3) of the team and supervisor actions. */
    groupId: bodyId().optional(),
    /** The actions add_required_actions asks for (added to those the users have, in the order they are done). */
    requiredActions: z.array(z.enum(REQUIRED_ACTIONS)).max(REQUIRED_ACTIONS.length).optional(),
    /** Counts the users the action would touch and changes nothing (the confirmation step). */
    dryRun: z.boolean().optional(),
  })
  .strict()
  .superRefine((value, ctx) => {
    const needed = BULK_ACTION_PARAMS[value.action];
    const missing =
      needed === 'requiredActions' ? !value.requiredActions?.length : needed && value[needed] === undefined;
    if (needed && missing) {
      ctx.addIssue({
        code: 'custom',
        path: [needed],
        message: {
          roleId: 'Choose a role',
          groupId: 'Choose a team',
          application: 'Choose an application',
          requiredActions: 'Choose at least one action',
        }[needed],
      });
    }
  });
export type BulkRequest = z.output<typeof bulkRequestSchema>;

export type BulkOutcome = 'done' | 'skipped' | 'failed';
