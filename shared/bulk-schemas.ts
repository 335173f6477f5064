// Bulk actions on users: what can be asked (validation + OpenAPI) and how the console names it.
import { z } from 'zod';
import { APP_KEYS } from './access.js';
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
  'assign_license',
  'revoke_license',
  'delete',
] as const;
export type BulkAction = (typeof BULK_ACTIONS)[number];

export const BULK_ACTION_LABELS: Record<BulkAction, { menu: string; verb: string }> = {
  enable: { menu: 'Enable', verb: 'Enable' },
  disable: { menu: 'Disable', verb: 'Disable' },
  enable_sync: { menu: 'Enable sync', verb: 'Turn on synchronization for' },
  disable_sync: { menu: 'Disable sync', verb: 'Turn off synchronization for' },
  assign_team: { menu: 'Assign team…', verb: 'Add to the team' },
  unassign_team: { menu: 'Unassign team…', verb: 'Remove from the team' },
  set_main_team: { menu: 'Set main team…', verb: 'Set the main team of' },
  assign_supervisor: { menu: 'Assign supervisor…', verb: 'Make supervisors of the team' },
  unassign_supervisor: { menu: 'Unassign supervisor…', verb: 'Remove as supervisors of the team' },
  assign_role: { menu: 'Assign role…', verb: 'Assign the role to' },
  unassign_role: { menu: 'Unassign role…', verb: 'Take the role from' },
  unlock: { menu: 'Unlock', verb: 'Unlock' },
  assign_license: { menu: 'Assign license…', verb: 'Assign the license to' },
  revoke_license: { menu: 'Revoke license…', verb: 'Revoke the license of' },
  delete: { menu: 'Delete', verb: 'Delete' },
};

/** What each action needs besides the selection. */
export const BULK_ACTION_PARAMS: Record<BulkAction, 'roleId' | 'application' | 'groupId' | null> = {
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
        .array(z.number().int().positive())
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
    roleId: z.number().int().positive().optional(),
    application: z.enum(APP_KEYS).optional(),
    /** The team (a group of level 2 or 3) of the team and supervisor actions. */
    groupId: z.number().int().positive().optional(),
    /** Counts the users the action would touch and changes nothing (the confirmation step). */
    dryRun: z.boolean().optional(),
  })
  .strict()
  .superRefine((value, ctx) => {
    const needed = BULK_ACTION_PARAMS[value.action];
    if (needed && value[needed] === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: [needed],
        message:
          needed === 'roleId' ? 'Choose a role' : needed === 'groupId' ? 'Choose a team' : 'Choose an application',
      });
    }
  });
export type BulkRequest = z.output<typeof bulkRequestSchema>;

export type BulkOutcome = 'done' | 'skipped' | 'failed';
