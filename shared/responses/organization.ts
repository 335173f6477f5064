// Response schemas of the organization: the group tree, groups, a user's teams, departments, chat groups, events.
import { z } from 'zod';

const id = z.number().int();

export const TreeGroupSchema = z.object({
  id,
  parentId: id.nullable(),
  name: z.string(),
  memberCount: z.number().int(),
});
export type TreeGroup = z.output<typeof TreeGroupSchema>;

export const GroupTreeSchema = z.object({ items: z.array(TreeGroupSchema), total: z.number().int() }).meta({
  id: 'GroupTree',
  description: 'Every group of the account, parents before children, siblings by name; memberCount = direct members',
});
export type GroupTree = z.output<typeof GroupTreeSchema>;

const GroupPersonSchema = z.object({
  id,
  username: z.string(),
  displayName: z.string(),
  email: z.string().nullable(),
  enabled: z.boolean(),
});
export type GroupPerson = z.output<typeof GroupPersonSchema>;

export const GroupSchema = z
  .object({
    id,
    name: z.string(),
    parentId: id.nullable(),
    level: z.number().int().describe('2 or 3 (level 1 is the account)'),
    path: z.array(z.object({ id, name: z.string() })).describe('Ancestors, outermost first'),
    memberCount: z.number().int(),
    subgroups: z.array(
      z.object({ id, name: z.string(), memberCount: z.number().int(), subgroupCount: z.number().int() }),
    ),
    supervisors: z.array(GroupPersonSchema),
    members: z.array(GroupPersonSchema.extend({ isMainTeam: z.boolean() })),
    nextMembers: z.string().nullable().describe('Pass as `after` for the next page of members'),
    createdAt: z.string(),
    updatedAt: z.string(),
    can: z.object({ createSubgroup: z.boolean() }),
  })
  .meta({ id: 'Group' });
export type Group = z.output<typeof GroupSchema>;

export const GroupDeleteResultSchema = z
  .object({
    deleted: z.number().int(),
    movedMembers: z.number().int(),
    endedMemberships: z.number().int(),
    removedSavedFilters: z.number().int().describe('Saved filters of the account that filtered by a deleted group'),
  })
  .meta({ id: 'GroupDeleteResult' });

const TeamGroupSchema = z.object({ id, name: z.string(), path: z.string(), level: z.number().int() });
export type TeamGroup = z.output<typeof TeamGroupSchema>;

export const UserTeamsSchema = z
  .object({
    userId: id,
    teams: z.array(TeamGroupSchema.extend({ isMain: z.boolean() })).describe('Main team first'),
    supervises: z.array(TeamGroupSchema),
    canManage: z.array(TeamGroupSchema),
  })
  .meta({ id: 'UserTeams' });
export type UserTeams = z.output<typeof UserTeamsSchema>;

export const EventSchema = z
  .object({
    id,
    type: z
      .string()
      .describe(
        'One of user.created, user.updated, user.deleted, user.enabled, user.disabled, license.granted, license.revoked, user.roles_changed, team.membership_changed, user.moved',
      ),
    userId: z.number().int().nullable().describe('The user the event is about'),
    sequence: z
      .number()
      .int()
      .nullable()
      .describe(
        "The event's number among the user's events: 1, 2, 3... without gaps, in the order the changes committed",
      ),
    payload: z
      .record(z.string(), z.unknown())
      .describe(
        '`{user, change?}`: the user as applications need them (licenses, role per application, main team), and what changed',
      ),
    createdAt: z.string(),
  })
  .meta({ id: 'Event' });

export const MoveResultSchema = z.object({ teams: UserTeamsSchema, event: EventSchema }).meta({ id: 'UserMoved' });

export const EventListSchema = z
  .object({
    items: z.array(EventSchema),
    nextAfter: id.describe('Ask with after=nextAfter for the events that follow'),
  })
  .meta({ id: 'EventList' });

export const DepartmentSchema = z
  .object({
    id,
    name: z.string(),
    userCount: z.number().int(),
    chatGroups: z.array(z.object({ id, name: z.string() })),
    createdAt: z.string(),
  })
  .meta({ id: 'Department' });
export type Department = z.output<typeof DepartmentSchema>;

export const DepartmentListSchema = z.object({ items: z.array(DepartmentSchema) });

export const ChatGroupSchema = z
  .object({ id, name: z.string(), departments: z.array(z.object({ id, name: z.string() })), createdAt: z.string() })
  .meta({ id: 'ChatGroup' });
export type ChatGroup = z.output<typeof ChatGroupSchema>;

export const ChatGroupListSchema = z.object({ items: z.array(ChatGroupSchema) });
