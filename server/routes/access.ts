// Applications and their roles, a user's role mappings, and a user's application settings (chat, analysis switch).
import { createRoute } from '@hono/zod-openapi';
import {
  analysisSwitchSchema,
  chatSettingsSchema,
  roleCreateSchema,
  roleUpdateSchema,
  userRolesSchema,
} from '../../shared/access-schemas.js';
import type { AppContext } from '../context.js';
import { router } from '../http/env.js';
import { requireSession } from '../http/session.js';
import { RULES } from '../policy/catalog.js';
import {
  ApplicationListSchema,
  AppSettingsSchema,
  PolicyRuleListSchema,
  RoleSchema,
  UserRoleParams,
  UserRolesSchema,
} from './access-schemas.js';
import { body, conflicting, errors, IdParams, json, missing } from './schemas.js';

export function accessRoutes(ctx: AppContext) {
  const app = router();
  const meta = (c: { get(key: 'ip'): string | null }) => ({ ip: c.get('ip') });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/applications',
      tags: ['Roles'],
      summary: "The suite's applications with their roles, composites and access-type mapping",
      responses: { 200: json(ApplicationListSchema, 'Applications'), ...errors },
    }),
    async (c) => c.json({ items: await ctx.roles.applications(requireSession(c).actor) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/applications/rules',
      tags: ['Roles'],
      summary: 'The access policy: which roles allow which action on whose resource',
      responses: { 200: json(PolicyRuleListSchema, 'Rules'), ...errors },
    }),
    (c) => {
      requireSession(c);
      return c.json(
        {
          items: RULES.map((r) => ({
            id: r.id,
            action: `${r.app}:${r.action}`,
            scope: r.scope,
            roles: r.roles,
            ...(r.condition ? { condition: r.condition } : {}),
          })),
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/roles',
      tags: ['Roles'],
      summary: 'Create a role or a composite role of an application',
      request: { body: body(roleCreateSchema) },
      responses: {
        201: json(RoleSchema, 'Created'),
        ...errors,
        ...conflicting('Name taken (RoleExists), a cycle (RoleCycle), or an owner-only role (OwnerRoleUnique)'),
      },
    }),
    async (c) => c.json(await ctx.roles.createRole(requireSession(c).actor, c.req.valid('json'), meta(c)), 201),
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/roles/{id}',
      tags: ['Roles'],
      summary: "Change a role's description or a composite's roles (cycles are refused)",
      request: { params: IdParams, body: body(roleUpdateSchema) },
      responses: {
        200: json(RoleSchema, 'Updated'),
        ...errors,
        ...missing('role'),
        ...conflicting('A built-in role (BuiltInRole), a cycle (RoleCycle), or an owner-only role (OwnerRoleUnique)'),
      },
    }),
    async (c) =>
      c.json(
        await ctx.roles.updateRole(requireSession(c).actor, c.req.valid('param').id, c.req.valid('json'), meta(c)),
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/roles/{id}',
      tags: ['Roles'],
      summary: "Delete one of the account's own roles (built-in roles stay)",
      request: { params: IdParams },
      responses: {
        204: { description: 'Deleted' },
        ...errors,
        ...missing('role'),
        ...conflicting('Built-in roles cannot be deleted (BuiltInRole)'),
      },
    }),
    async (c) => {
      await ctx.roles.deleteRole(requireSession(c).actor, c.req.valid('param').id, meta(c));
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/users/{id}/roles',
      tags: ['Roles'],
      summary: "A user's role mappings, the roles their access type maps to, and their effective roles",
      request: { params: IdParams },
      responses: { 200: json(UserRolesSchema, 'Role mappings'), ...errors, ...missing('user') },
    }),
    async (c) => c.json(await ctx.roles.userRoles(requireSession(c).actor, c.req.valid('param').id), 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/users/{id}/roles',
      tags: ['Roles'],
      summary: 'Assign roles or composite roles to a user',
      request: { params: IdParams, body: body(userRolesSchema) },
      responses: {
        200: json(UserRolesSchema, 'Role mappings'),
        ...errors,
        ...missing('user or role mapping'),
        ...conflicting('A role only the account owner may hold (OwnerRoleUnique)'),
      },
    }),
    async (c) =>
      c.json(
        await ctx.roles.assignRoles(
          requireSession(c).actor,
          c.req.valid('param').id,
          c.req.valid('json').roleIds,
          meta(c),
        ),
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/users/{id}/roles/{roleId}',
      tags: ['Roles'],
      summary: 'Remove a role from a user',
      request: { params: UserRoleParams },
      responses: {
        200: json(UserRolesSchema, 'Role mappings'),
        ...errors,
        ...missing('user or role mapping'),
        ...conflicting('A role only the account owner may hold (OwnerRoleUnique)'),
      },
    }),
    async (c) => {
      const { id, roleId } = c.req.valid('param');
      return c.json(await ctx.roles.unassignRole(requireSession(c).actor, id, roleId, meta(c)), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/users/{id}/app-settings',
      tags: ['Application settings'],
      summary: "A user's chat settings and Voice Analytics analysis switch",
      request: { params: IdParams },
      responses: { 200: json(AppSettingsSchema, 'Settings'), ...errors, ...missing('user') },
    }),
    async (c) => c.json(await ctx.appSettings.get(requireSession(c).actor, c.req.valid('param').id), 200),
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/users/{id}/app-settings/chat',
      tags: ['Application settings'],
      summary: 'Chat status (Available / Unavailable / Inactive), chat limit (-1 = unlimited) and tag',
      request: { params: IdParams, body: body(chatSettingsSchema) },
      responses: { 200: json(AppSettingsSchema, 'Settings'), ...errors, ...missing('user') },
    }),
    async (c) =>
      c.json(
        await ctx.appSettings.updateChat(
          requireSession(c).actor,
          c.req.valid('param').id,
          c.req.valid('json'),
          meta(c),
        ),
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/users/{id}/app-settings/analysis',
      tags: ['Application settings'],
      summary: "Switch transcription and analysis of a user's recordings on or off",
      request: { params: IdParams, body: body(analysisSwitchSchema) },
      responses: { 200: json(AppSettingsSchema, 'Settings'), ...errors, ...missing('user') },
    }),
    async (c) =>
      c.json(
        await ctx.appSettings.setAnalysis(
          requireSession(c).actor,
          c.req.valid('param').id,
          c.req.valid('json').analysisEnabled,
          meta(c),
        ),
        200,
      ),
  );

  return app;
}
