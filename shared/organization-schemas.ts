// Input schemas of the organization (groups, teams, moves, departments, chat-routing groups, call-tracking details),
// shared by the API and the console's forms.
import { z } from 'zod';
import { bodyId, MAX_ID } from './ids.js';

const name = (what: string) =>
  z.string().trim().min(1, `${what} is required`).max(100, 'Must be at most 100 characters');
const id = bodyId();

export const groupCreateSchema = z.object({ name: name('Name'), parentId: id.nullable().optional() }).strict();
export type GroupCreate = z.output<typeof groupCreateSchema>;

export const groupUpdateSchema = z
  .object({ name: name('Name').optional(), parentId: id.nullable().optional() })
  .strict();
export type GroupUpdate = z.output<typeof groupUpdateSchema>;

export const GROUP_DELETE_MODES = ['refuse', 'move_to_parent', 'delete_all'] as const;
export const groupDeleteSchema = z.object({ mode: z.enum(GROUP_DELETE_MODES).optional() }).strict();
export type GroupDelete = z.output<typeof groupDeleteSchema>;

export const membershipSchema = z.object({ groupId: id }).strict();

export const moveUserSchema = z
  .object({ toGroupId: id, fromGroupId: id.optional(), moveCalls: z.boolean().optional() })
  .strict();
export type MoveUser = z.output<typeof moveUserSchema>;

export const departmentSchema = z.object({ name: name('Name') }).strict();

export const chatGroupSchema = z
  .object({ name: name('Name'), departmentIds: z.array(id).max(500).optional() })
  .strict();
export const chatGroupUpdateSchema = z
  .object({ name: name('Name').optional(), departmentIds: z.array(id).max(500).optional() })
  .strict();
export type ChatGroupInput = z.output<typeof chatGroupUpdateSchema>;

export const REPORTING_ACCESS = ['none', 'own', 'groups', 'all'] as const;
export const AUDIO_ACCESS = ['none', 'listen', 'download'] as const;
export const SCORING_ACCESS = ['none', 'view', 'score'] as const;
export const REPORTING_ACCESS_LABELS: Record<(typeof REPORTING_ACCESS)[number], string> = {
  none: 'No reports',
  own: 'Own calls',
  groups: 'Calls of visible groups',
  all: 'All calls',
};
export const AUDIO_ACCESS_LABELS: Record<(typeof AUDIO_ACCESS)[number], string> = {
  none: 'No audio',
  listen: 'Listen',
  download: 'Listen and download',
};
export const SCORING_ACCESS_LABELS: Record<(typeof SCORING_ACCESS)[number], string> = {
  none: 'No scores',
  view: 'View scores',
  score: 'View and score',
};

/** Call-tracking details and permissions of a user (part of user create and update). */
export const callTrackingFields = {
  agentId: z.string().trim().max(64, 'Must be at most 64 characters').optional(),
  ringTo: z
    .string()
    .trim()
    .max(32, 'Must be at most 32 characters')
    .regex(/^[0-9+()\-. ]*$/, 'Use digits, spaces and + ( ) - . only')
    .optional(),
  scoringEnabled: z.boolean().optional(),
  roamingAgent: z.boolean().optional(),
  reportingAccess: z.enum(REPORTING_ACCESS).optional(),
  audioAccess: z.enum(AUDIO_ACCESS).optional(),
  scoringAccess: z.enum(SCORING_ACCESS).optional(),
  visibleGroupIds: z.array(id).max(1000, 'At most 1,000 groups').optional(),
};

export const eventsQuerySchema = z.object({
  after: z.coerce.number().int().min(0).max(MAX_ID).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  type: z.string().max(100).optional(),
});
