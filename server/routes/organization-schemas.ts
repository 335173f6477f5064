// Response schemas of the organization: the group tree, groups, a user's teams, departments, chat groups, events.
import { z } from '@hono/zod-openapi';

const id = z.number().int();

const idParam = (name: string) =>
  z.coerce
    .number()
    .int()
    .positive()
    .openapi({ param: { name, in: 'path' }, example: 7 });

export const UserGroupParams = z.object({ id: idParam('id'), groupId: idParam('groupId') });

export const GroupTreeSchema = z
  .object({
    items: z.array(z.object({ id, parentId: id.nullable(), name: z.string(), memberCount: z.number().int() })),
    total: z.number().int(),
  })
  .openapi('GroupTree', {
    description: 'Every group of the account, parents before children, siblings by name; memberCount = direct members',
  });

const person = z.object({
  id,
  username: z.string(),
  displayName: z.string(),
  email: z.string().nullable(),
  enabled: z.boolean(),
});

export const GroupSchema = z
  .object({
    id,
    name: z.string(),
    parentId: id.nullable(),
    level: z.number().int().openapi({ description: '2 or 3 (level 1 is the account)' }),
    path: z.array(z.object({ id, name: z.string() })).openapi({ description: 'Ancestors, outermost first' }),
    memberCount: z.number().int(),
    subgroups: z.array(
      z.object({ id, name: z.string(), memberCount: z.number().int(), subgroupCount: z.number().int() }),
    ),
    supervisors: z.array(person),
    members: z.array(person.extend({ isMainTeam: z.boolean() })),
    nextMembers: z.string().nullable().openapi({ description: 'Pass as `after` for the next page of members' }),
    createdAt: z.string(),
    updatedAt: z.string(),
    can: z.object({ createSubgroup: z.boolean() }),
  })
  .openapi('Group');

export const GroupDeleteResultSchema = z
  .object({
    deleted: z.number().int(),
    movedMembers: z.number().int(),
    endedMemberships: z.number().int(),
    removedSavedFilters: z.number().int().describe('Saved filters of the account that filtered by a deleted group'),
  })
  .openapi('GroupDeleteResult');

const teamGroup = z.object({ id, name: z.string(), path: z.string(), level: z.number().int() });

export const UserTeamsSchema = z
  .object({
    userId: id,
    teams: z.array(teamGroup.extend({ isMain: z.boolean() })).openapi({ description: 'Main team first' }),
    supervises: z.array(teamGroup),
    canManage: z.array(teamGroup),
  })
  .openapi('UserTeams');

export const EventSchema = z
  .object({ id, type: z.string(), payload: z.record(z.string(), z.unknown()), createdAt: z.string() })
  .openapi('Event');

export const MoveResultSchema = z.object({ teams: UserTeamsSchema, event: EventSchema }).openapi('UserMoved');

export const EventListSchema = z
  .object({
    items: z.array(EventSchema),
    nextAfter: z.number().int().openapi({ description: 'Ask with after=nextAfter for the events that follow' }),
  })
  .openapi('EventList');

export const DepartmentSchema = z
  .object({
    id,
    name: z.string(),
    userCount: z.number().int(),
    chatGroups: z.array(z.object({ id, name: z.string() })),
    createdAt: z.string(),
  })
  .openapi('Department');

export const ChatGroupSchema = z
  .object({ id, name: z.string(), departments: z.array(z.object({ id, name: z.string() })), createdAt: z.string() })
  .openapi('ChatGroup');
