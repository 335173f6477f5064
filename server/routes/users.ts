// The user directory over HTTP: list/search, facets, CSV export, create, read, edit, delete.
import { createRoute, z } from '@hono/zod-openapi';
import { ACCESS_TYPE_LABELS, type AccessType, AUTH_METHOD_LABELS, type AuthMethod } from '../../shared/constants.js';
import { userCreateSchema, userListQuerySchema, userPasswordSchema, userUpdateSchema } from '../../shared/schemas.js';
import type { AppContext } from '../context.js';
import { csvResponse } from '../http/csv.js';
import { router } from '../http/env.js';
import { requireSession } from '../http/session.js';
import { xlsxResponse } from '../http/xlsx.js';
import type { Actor } from '../policy.js';
import { etagOf } from '../services/users.js';
import {
  body,
  conflicting,
  csv,
  ErrorSchema,
  errors,
  FacetsSchema,
  IdParams,
  json,
  UserListSchema,
  UserSchema,
  xlsx,
} from './schemas.js';

const notFound = json(ErrorSchema, 'No such user in your account');

/** A single-user answer carries the user's version, to send back as If-Match with a PATCH. */
const versioned = <T extends object>(response: T) => ({
  ...response,
  headers: z.object({
    ETag: z.string().meta({
      description: "The user's version (a weak entity tag): send it as If-Match when you edit the user",
      example: 'W/"q3v1kY0tQk6Lr2bq1ZgY9A"',
    }),
  }),
});

const IfMatchHeaders = z.object({
  'if-match': z
    .string()
    .max(1000)
    .optional()
    .meta({
      description:
        'The ETag the user was read with (or `*`): the edit is made only if nobody changed the user since, otherwise ' +
        '412 PreconditionFailed and nothing is written. Without it the edit is made whatever changed meanwhile.',
      example: 'W/"q3v1kY0tQk6Lr2bq1ZgY9A"',
    }),
});

export function userRoutes(ctx: AppContext) {
  const app = router();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/users',
      tags: ['Users'],
      summary: 'List and search users, one keyset page at a time',
      description:
        'Search (`q`) is case- and accent-insensitive and matches inside words; every whitespace-separated term must match some field (first/last name, username, email, phone, department, nicknames). `groupId` keeps the direct members of a group of the account, `license` the users holding the license of that application; an unknown group is a 400 naming `groupId`. Pages: no cursor = first page, `cursor` = next/previous page, `last=true` = last page.',
      request: { query: userListQuerySchema },
      responses: { 200: json(UserListSchema, 'A page of users'), ...errors },
    }),
    async (c) => c.json(await ctx.users.list(requireSession(c).actor, c.req.valid('query')), 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/users/facets',
      tags: ['Users'],
      summary: 'Values to filter by, and the total number of users',
      responses: { 200: json(FacetsSchema, 'Facets'), ...errors },
    }),
    async (c) => c.json(await ctx.users.facets(requireSession(c).actor), 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/users/export.csv',
      tags: ['Users'],
      summary: 'Download every user matching the filters, in the list order, as CSV',
      request: { query: userListQuerySchema.omit({ cursor: true, limit: true, last: true }) },
      responses: { 200: csv, ...errors },
    }),
    async (c) => {
      const actor = requireSession(c).actor;
      const query = c.req.valid('query');
      await ctx.users.assertFilter(actor, query);
      return csvResponse(c, 'users.csv', EXPORT_HEADER, exportRows(ctx, actor, query)) as never;
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/users/export.xlsx',
      tags: ['Users'],
      summary: 'Download every user matching the filters, in the list order, as XLSX',
      request: { query: userListQuerySchema.omit({ cursor: true, limit: true, last: true }) },
      responses: { 200: xlsx, ...errors },
    }),
    async (c) => {
      const actor = requireSession(c).actor;
      const query = c.req.valid('query');
      await ctx.users.assertFilter(actor, query);
      return xlsxResponse(c, 'users.xlsx', EXPORT_HEADER, exportRows(ctx, actor, query)) as never;
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/users',
      tags: ['Users'],
      summary: 'Create a user',
      request: { body: body(userCreateSchema) },
      responses: {
        201: versioned(json(UserSchema, 'Created')),
        ...errors,
        409: json(ErrorSchema, 'Username taken (UsernameTaken)'),
      },
    }),
    async (c) => {
      const actor = requireSession(c).actor;
      const input = c.req.valid('json');
      const user = await ctx.users.create(actor, input, { ip: c.get('ip'), channel: c.get('channel') });
      c.header('ETag', etagOf(user));
      return c.json(user, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/users/{id}',
      tags: ['Users'],
      summary: 'Read a user',
      request: { params: IdParams },
      responses: { 200: versioned(json(UserSchema, 'The user')), ...errors, 404: notFound },
    }),
    async (c) => {
      const user = await ctx.users.get(requireSession(c).actor, c.req.valid('param').id);
      c.header('ETag', etagOf(user));
      return c.json(user, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/users/{id}',
      tags: ['Users'],
      summary: 'Edit a user (the username cannot change)',
      description:
        'Send `If-Match` with the ETag the user was read with so that two admins cannot overwrite each other ' +
        'silently: if the user changed since, the answer is 412 PreconditionFailed and nothing is written (read the ' +
        'user again and redo the edit).',
      request: { params: IdParams, headers: IfMatchHeaders, body: body(userUpdateSchema) },
      responses: {
        200: versioned(json(UserSchema, 'Updated')),
        ...errors,
        404: notFound,
        ...conflicting('The owner cannot be disabled or stop being an admin (OwnerProtected)'),
        412: json(ErrorSchema, 'Someone else changed the user since the ETag sent in If-Match (PreconditionFailed)'),
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const actor = requireSession(c).actor;
      const input = c.req.valid('json');
      const ifMatch = c.req.valid('header')['if-match'];
      const meta = { ip: c.get('ip'), channel: c.get('channel') };
      const user = await ctx.users.update(actor, id, input, meta, { ifMatch });
      c.header('ETag', etagOf(user));
      return c.json(user, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/users/{id}/password',
      tags: ['Users'],
      summary:
        "Set or reset a user's password (the account's password policy applies; temporary = to be replaced at the " +
        'next sign-in); the user is signed out everywhere',
      request: { params: IdParams, body: body(userPasswordSchema) },
      responses: {
        200: versioned(json(UserSchema, 'Password set')),
        ...errors,
        404: notFound,
        ...conflicting(
          "Your own password is changed on your profile (UseChangePassword); DirectoryPassword: the user's password is their directory's",
        ),
      },
    }),
    async (c) => {
      const actor = requireSession(c).actor;
      const { id } = c.req.valid('param');
      const user = await ctx.users.setPassword(actor, id, c.req.valid('json'), { ip: c.get('ip') });
      c.header('ETag', etagOf(user));
      return c.json(user, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/users/{id}/unlock',
      tags: ['Users'],
      summary: 'Unlock a user locked out after too many failed sign-ins',
      request: { params: IdParams },
      responses: { 200: versioned(json(UserSchema, 'Unlocked')), ...errors, 404: notFound },
    }),
    async (c) => {
      const user = await ctx.users.unlock(requireSession(c).actor, c.req.valid('param').id, { ip: c.get('ip') });
      c.header('ETag', etagOf(user));
      return c.json(user, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/users/{id}',
      tags: ['Users'],
      summary: 'Delete a user',
      request: { params: IdParams },
      responses: {
        204: { description: 'Deleted' },
        ...errors,
        404: notFound,
        ...conflicting('The owner (OwnerProtected) and you yourself (CannotDeleteSelf) cannot be deleted'),
      },
    }),
    async (c) => {
      await ctx.users.remove(requireSession(c).actor, c.req.valid('param').id, { ip: c.get('ip') });
      return c.body(null, 204);
    },
  );

  return app;
}

/** The columns of a users download (CSV and XLSX), readable back by the importer. */
export const EXPORT_HEADER = [
  'Username',
  'First name',
  'Last name',
  'Email',
  'Phone',
  'Department',
  'Access type',
  'Authentication',
  'Status',
  'Enabled',
  'Source',
  'Time zone',
  'Language',
  'Valid from',
  'Expiration',
  'Nicknames',
  'Created',
];

type ExportQuery = Parameters<AppContext['users']['all']>[1];

/** Dates go out as dates: ISO 8601 text in CSV, date cells in XLSX. */
const asDate = (value: string | null) => (value ? new Date(value) : null);

export async function* exportRows(ctx: AppContext, actor: Actor, query: ExportQuery) {
  for await (const user of ctx.users.all(actor, query)) {
    yield [
      user.username,
      user.firstName,
      user.lastName,
      user.email,
      user.phone,
      user.department,
      ACCESS_TYPE_LABELS[user.accessType as AccessType] ?? user.accessType,
      AUTH_METHOD_LABELS[user.authMethod as AuthMethod] ?? user.authMethod,
      user.status === 'active' ? 'Active' : 'Inactive',
      user.enabled ? 'Enabled' : 'Disabled',
      user.source,
      user.timeZone,
      user.language,
      asDate(user.validFrom),
      asDate(user.expiresAt),
      user.nicknames,
      asDate(user.createdAt),
    ];
  }
}
