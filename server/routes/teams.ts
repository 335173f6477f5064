// A user's teams (main team), supervised teams and "can manage" groups, and moving a user to another group.
import { createRoute } from '@hono/zod-openapi';
import { membershipSchema, moveUserSchema } from '../../shared/organization-schemas.js';
import type { AppContext } from '../context.js';
import { router } from '../http/env.js';
import { requireSession } from '../http/session.js';
import type { Actor } from '../policy.js';
import type { UserTeams } from '../services/teams.js';
import { MoveResultSchema, UserGroupParams, UserTeamsSchema } from './organization-schemas.js';
import { body, ErrorSchema, errors, IdParams, json } from './schemas.js';

const more = {
  404: json(ErrorSchema, 'No such user or group in your account'),
  409: json(ErrorSchema, 'Nothing to change (MembershipUnchanged), with the reason'),
};

type Operation = (actor: Actor, userId: number, groupId: number) => Promise<UserTeams>;

export function teamRoutes(ctx: AppContext) {
  const app = router();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/users/{id}/teams',
      tags: ['Teams'],
      summary: "A user's teams (main team first), the teams they supervise and the groups they can manage",
      request: { params: IdParams },
      responses: { 200: json(UserTeamsSchema, 'Teams'), ...errors, ...more },
    }),
    async (c) => c.json(await ctx.teams.teamsOf(requireSession(c).actor, c.req.valid('param').id), 200),
  );

  const pair = (
    path: string,
    summary: [add: string, remove: string],
    add: Operation,
    remove: Operation,
    description?: string,
  ) => {
    app.openapi(
      createRoute({
        method: 'post',
        path: `/users/{id}/${path}`,
        tags: ['Teams'],
        summary: summary[0],
        description,
        request: { params: IdParams, body: body(membershipSchema) },
        responses: { 200: json(UserTeamsSchema, "The user's teams"), ...errors, ...more },
      }),
      async (c) =>
        c.json(await add(requireSession(c).actor, c.req.valid('param').id, c.req.valid('json').groupId), 200),
    );
    app.openapi(
      createRoute({
        method: 'delete',
        path: `/users/{id}/${path}/{groupId}`,
        tags: ['Teams'],
        summary: summary[1],
        request: { params: UserGroupParams },
        responses: { 200: json(UserTeamsSchema, "The user's teams"), ...errors, ...more },
      }),
      async (c) => {
        const { id, groupId } = c.req.valid('param');
        return c.json(await remove(requireSession(c).actor, id, groupId), 200);
      },
    );
  };

  pair(
    'teams',
    ['Add the user to a team (their first team becomes main)', 'Remove the user from a team'],
    (a, u, g) => ctx.teams.joinTeam(a, u, g),
    (a, u, g) => ctx.teams.leaveTeam(a, u, g),
    'Removing the main team makes the alphabetically first remaining team main.',
  );
  pair(
    'supervised-teams',
    ['Make the user a supervisor of a team', 'Stop the user supervising a team'],
    (a, u, g) => ctx.teams.addSupervisor(a, u, g),
    (a, u, g) => ctx.teams.removeSupervisor(a, u, g),
  );
  pair(
    'can-manage',
    ['Let the user manage (review) a group', 'Stop the user managing a group'],
    (a, u, g) => ctx.teams.addCanManage(a, u, g),
    (a, u, g) => ctx.teams.removeCanManage(a, u, g),
    'A reviewer reviews the direct members of the groups they can manage, not members of subgroups; reviewing also needs EVAL_AGENTS and CREATE_EVALS, seeing conversations INTERACTIONS_GROUP_VIEW.',
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/users/{id}/main-team',
      tags: ['Teams'],
      summary: "Make one of the user's teams their main team",
      request: { params: IdParams, body: body(membershipSchema) },
      responses: { 200: json(UserTeamsSchema, "The user's teams"), ...errors, ...more },
    }),
    async (c) =>
      c.json(
        await ctx.teams.setMainTeam(requireSession(c).actor, c.req.valid('param').id, c.req.valid('json').groupId),
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/users/{id}/move',
      tags: ['Teams'],
      summary: 'Move a user to another group (review their permissions afterwards)',
      description:
        'The user leaves their main team (or `fromGroupId`) and joins `toGroupId`, which becomes their main team; other teams stay. A `user.moved` event `{userId, fromGroupId, toGroupId, moveCalls}` is written in the same transaction for the applications holding calls (`GET /events`).',
      request: { params: IdParams, body: body(moveUserSchema) },
      responses: { 200: json(MoveResultSchema, 'Moved'), ...errors, ...more },
    }),
    async (c) =>
      c.json(
        await ctx.teams.move(requireSession(c).actor, c.req.valid('param').id, c.req.valid('json'), {
          ip: c.get('ip'),
        }),
        200,
      ),
  );

  return app;
}
