// Departments and chat-routing groups over HTTP.
import { createRoute } from '@hono/zod-openapi';
import { chatGroupSchema, chatGroupUpdateSchema, departmentSchema } from '../../shared/organization-schemas.js';
import type { AppContext } from '../context.js';
import { router } from '../http/env.js';
import { requireSession } from '../http/session.js';
import {
  ChatGroupListSchema,
  ChatGroupSchema,
  DepartmentListSchema,
  DepartmentSchema,
} from './organization-schemas.js';
import { body, ErrorSchema, errors, IdParams, json } from './schemas.js';

const more = {
  404: json(ErrorSchema, 'No such department or chat-routing group in your account'),
  409: json(ErrorSchema, 'Name taken, or the department is in use (DepartmentInUse)'),
};

export function departmentRoutes(ctx: AppContext) {
  const app = router();
  const meta = (c: { get(key: 'ip'): string | null }) => ({ ip: c.get('ip') });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/departments',
      tags: ['Departments'],
      summary: 'Departments with their user counts and linked chat-routing groups',
      responses: { 200: json(DepartmentListSchema, 'Departments'), ...errors },
    }),
    async (c) => c.json(await ctx.departments.list(requireSession(c).actor), 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/departments',
      tags: ['Departments'],
      summary: 'Create a department',
      description: 'Giving a user a department name that does not exist yet also creates it.',
      request: { body: body(departmentSchema) },
      responses: { 201: json(DepartmentSchema, 'Created'), ...errors, ...more },
    }),
    async (c) => c.json(await ctx.departments.create(requireSession(c).actor, c.req.valid('json').name, meta(c)), 201),
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/departments/{id}',
      tags: ['Departments'],
      summary: "Rename a department; its users' department changes in the same transaction",
      request: { params: IdParams, body: body(departmentSchema) },
      responses: { 200: json(DepartmentSchema, 'Renamed'), ...errors, ...more },
    }),
    async (c) =>
      c.json(
        await ctx.departments.rename(
          requireSession(c).actor,
          c.req.valid('param').id,
          c.req.valid('json').name,
          meta(c),
        ),
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/departments/{id}',
      tags: ['Departments'],
      summary: 'Delete a department no user is in and no chat-routing group is linked to',
      request: { params: IdParams },
      responses: { 204: { description: 'Deleted' }, ...errors, ...more },
    }),
    async (c) => {
      await ctx.departments.remove(requireSession(c).actor, c.req.valid('param').id, meta(c));
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/chat-groups',
      tags: ['Departments'],
      summary: 'Chat-routing groups with their linked departments',
      responses: { 200: json(ChatGroupListSchema, 'Chat-routing groups'), ...errors },
    }),
    async (c) => c.json(await ctx.departments.chatGroups(requireSession(c).actor), 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/chat-groups',
      tags: ['Departments'],
      summary: 'Create a chat-routing group linked to departments',
      request: { body: body(chatGroupSchema) },
      responses: { 201: json(ChatGroupSchema, 'Created'), ...errors, ...more },
    }),
    async (c) =>
      c.json(await ctx.departments.saveChatGroup(requireSession(c).actor, null, c.req.valid('json'), meta(c)), 201),
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/chat-groups/{id}',
      tags: ['Departments'],
      summary: 'Rename a chat-routing group or replace its linked departments',
      request: { params: IdParams, body: body(chatGroupUpdateSchema) },
      responses: { 200: json(ChatGroupSchema, 'Updated'), ...errors, ...more },
    }),
    async (c) =>
      c.json(
        await ctx.departments.saveChatGroup(
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
      method: 'delete',
      path: '/chat-groups/{id}',
      tags: ['Departments'],
      summary: 'Delete a chat-routing group',
      request: { params: IdParams },
      responses: { 204: { description: 'Deleted' }, ...errors, ...more },
    }),
    async (c) => {
      await ctx.departments.removeChatGroup(requireSession(c).actor, c.req.valid('param').id, meta(c));
      return c.body(null, 204);
    },
  );

  return app;
}
