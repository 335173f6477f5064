// Directory connections of the account (the owner and admins without a profile): the LDAP or Active Directory
// servers users and groups are synced from, and "test connection" for a saved connection or for settings not saved
// yet. The bind password is write-only.
import { createRoute, z } from '@hono/zod-openapi';
import {
  directoryConnectionCreateSchema,
  directoryConnectionTestSchema,
  directoryConnectionUpdateSchema,
  directorySyncRequestSchema,
} from '../../shared/directory-schemas.js';
import {
  DirectoryConnectionListSchema,
  DirectoryConnectionSchema,
  DirectorySyncPreviewSchema,
  DirectorySyncRunListSchema,
  DirectorySyncRunSchema,
  DirectoryTestResultSchema,
} from '../../shared/responses/directory.js';
import type { AppContext } from '../context.js';
import { router } from '../http/env.js';
import { requireSession } from '../http/session.js';
import { body, conflicting, ErrorSchema, errors, IdParams, idParam, json, missing } from './schemas.js';

const tags = ['Directory connections'];
const RunParams = z.object({ id: idParam('id'), runId: idParam('runId') });
const SYNC_DESCRIPTION =
  'Reads every user and group of the directory (paged, RFC 2696), or with kind incremental only the entries changed since the last successful sync (modifyTimestamp, uSNChanged on Active Directory) and the external ids of all, and makes Roster follow it: users matched by external id are created (source = the connection name), updated (mapped fields only), disabled when gone or disabled in Active Directory (or deleted or kept, as the connection says), enabled again when they come back; users whose sync switch is off are left alone. Directory groups become groups of the account and their subgroups (deeper ones are flattened into the third level, with a warning), and memberships of synced users follow the directory. An entry that cannot be synced is an error naming its DN; the rest goes on. With preview true nothing is written and the plan is the answer; otherwise the run goes on in the background (202): follow it at GET /directory-connections/{id}/runs/{runId}. One run of a connection at a time.';
const TEST_DESCRIPTION =
  'Checks the filters, then looks the host up (DNS), connects (TCP), secures the connection (TLS: ldaps://, or StartTLS on ldap://), binds, and checks both base DNs; when all pass, counts the entries each filter sees, 500 a page (RFC 2696 paged results). A failure is a 200 whose failedStep, reason and field say what to fix. Each step waits at most ROSTER_DIRECTORY_TIMEOUT_MS. An account runs at most 60 tests in 10 minutes (429 RateLimited with Retry-After past them).';
const testLimited = {
  429: json(ErrorSchema, 'Too many connection tests in this account (RateLimited; see Retry-After)'),
};

export function directoryConnectionRoutes(ctx: AppContext) {
  const app = router();
  const meta = (c: { get(key: 'ip'): string | null | undefined }) => ({ ip: c.get('ip') });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/directory-connections',
      tags,
      summary: "The account's directory connections (never their bind passwords)",
      responses: { 200: json(DirectoryConnectionListSchema, 'Connections'), ...errors },
    }),
    async (c) => c.json({ items: await ctx.directoryConnections.list(requireSession(c).actor) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/directory-connections',
      tags,
      summary: 'Add a directory connection',
      description:
        'The vendor preset (active_directory, openldap, 389ds, freeipa) fills in the filters and attributes not given. Saving does not connect: test the settings first (POST /directory-connections/test).',
      request: { body: body(directoryConnectionCreateSchema) },
      responses: {
        201: json(DirectoryConnectionSchema, 'Created'),
        ...errors,
        ...conflicting('DirectoryNameTaken: another connection of the account has this name'),
      },
    }),
    async (c) =>
      c.json(await ctx.directoryConnections.create(requireSession(c).actor, c.req.valid('json'), meta(c)), 201),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/directory-connections/test',
      tags,
      summary: 'Test settings that are not saved yet',
      description: TEST_DESCRIPTION,
      request: { body: body(directoryConnectionTestSchema) },
      responses: { 200: json(DirectoryTestResultSchema, 'What the test found'), ...errors, ...testLimited },
    }),
    async (c) => c.json(await ctx.directoryConnections.testSettings(requireSession(c).actor, c.req.valid('json')), 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/directory-connections/{id}',
      tags,
      summary: 'One directory connection',
      request: { params: IdParams },
      responses: { 200: json(DirectoryConnectionSchema, 'Connection'), ...errors, ...missing('directory connection') },
    }),
    async (c) => c.json(await ctx.directoryConnections.get(requireSession(c).actor, c.req.valid('param').id), 200),
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/directory-connections/{id}',
      tags,
      summary: 'Change a directory connection',
      description:
        'A new URL, StartTLS setting or CA certificate needs the bind password in the same request: the stored one is never sent anywhere new.',
      request: { params: IdParams, body: body(directoryConnectionUpdateSchema) },
      responses: {
        200: json(DirectoryConnectionSchema, 'Changed'),
        ...errors,
        ...missing('directory connection'),
        ...conflicting('DirectoryNameTaken: another connection of the account has this name'),
      },
    }),
    async (c) =>
      c.json(
        await ctx.directoryConnections.update(
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
      path: '/directory-connections/{id}',
      tags,
      summary: 'Delete a directory connection',
      request: { params: IdParams },
      responses: { 204: { description: 'Deleted' }, ...errors, ...missing('directory connection') },
    }),
    async (c) => {
      await ctx.directoryConnections.remove(requireSession(c).actor, c.req.valid('param').id, meta(c));
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/directory-connections/{id}/test',
      tags,
      summary: 'Test a saved directory connection',
      description: TEST_DESCRIPTION,
      request: { params: IdParams },
      responses: {
        200: json(DirectoryTestResultSchema, 'What the test found'),
        ...errors,
        ...missing('directory connection'),
        ...testLimited,
      },
    }),
    async (c) => c.json(await ctx.directoryConnections.test(requireSession(c).actor, c.req.valid('param').id), 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/directory-connections/{id}/sync',
      tags,
      summary: 'Sync users and groups from the directory, or preview what a sync would do',
      description: SYNC_DESCRIPTION,
      request: { params: IdParams, body: body(directorySyncRequestSchema) },
      responses: {
        200: json(DirectorySyncPreviewSchema, 'The preview: what a sync would create, update, disable, leave alone'),
        202: json(z.object({ run: DirectorySyncRunSchema }), 'Started: the run goes on in the background'),
        ...errors,
        ...missing('directory connection'),
        ...conflicting(
          'SyncRunning: a sync of this connection is running; SyncFailed: the preview could not read the directory',
        ),
      },
    }),
    async (c) => {
      const input = c.req.valid('json');
      const started = await ctx.directorySync.start(requireSession(c).actor, c.req.valid('param').id, input, meta(c));
      if (started.preview) return c.json(started.preview, 200);
      return c.json({ run: started.run }, 202);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/directory-connections/{id}/runs',
      tags,
      summary: "The connection's sync runs, newest first (the last 50)",
      request: { params: IdParams },
      responses: {
        200: json(DirectorySyncRunListSchema, 'Runs with their counts and errors'),
        ...errors,
        ...missing('directory connection'),
      },
    }),
    async (c) => c.json({ items: await ctx.directorySync.runs(requireSession(c).actor, c.req.valid('param').id) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/directory-connections/{id}/runs/{runId}',
      tags,
      summary: 'One sync run, with its progress while it runs',
      request: { params: RunParams },
      responses: { 200: json(DirectorySyncRunSchema, 'The run'), ...errors, ...missing('sync run') },
    }),
    async (c) => {
      const { id, runId } = c.req.valid('param');
      return c.json(await ctx.directorySync.run(requireSession(c).actor, id, runId), 200);
    },
  );

  return app;
}
