// Importing users from a file: upload, preview and fix the mapping, start, follow, cancel, and the report.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import {
  importPreviewUpdateSchema,
  importRereadSchema,
  importSettingsSchema,
  importStartSchema,
  MAX_IMPORT_BYTES,
  textEncodingSchema,
} from '../../shared/import-schemas.js';
import { ImportJobSchema, ImportListSchema, ImportSettingsSchema } from '../../shared/responses/imports.js';
import type { AppContext } from '../context.js';
import { AppError, validationFailed } from '../errors.js';
import { type AppEnv, router } from '../http/env.js';
import { requireSession } from '../http/session.js';
import { body, conflicting, csv, ErrorSchema, errors, IdParams, json } from './schemas.js';

const notFound = json(ErrorSchema, 'No such import');
const tooLarge = () => new AppError(413, 'FileTooLarge', 'The file is larger than 50 MB: split it into smaller files');

/** Saves the request body to a temporary file, counting bytes as they arrive; refuses more than 50 MB. */
async function saveUpload(c: Context<AppEnv>): Promise<{ name: string; path: string; bytes: number; dir: string }> {
  const type = c.req.header('content-type') ?? '';
  const multipart = type.startsWith('multipart/form-data');
  const limit = MAX_IMPORT_BYTES + (multipart ? 64 * 1024 : 0);
  const declared = Number(c.req.header('content-length'));
  if (Number.isFinite(declared) && declared > limit) throw tooLarge();
  const stream = c.req.raw.body;
  if (!stream) throw validationFailed([{ path: 'file', message: 'Send the file as the request body' }]);
  const dir = await mkdtemp(join(tmpdir(), 'roster-upload-'));
  const path = join(dir, 'upload');
  try {
    const out = createWriteStream(path);
    let bytes = 0;
    try {
      for await (const chunk of Readable.fromWeb(stream as never) as AsyncIterable<Buffer>) {
        bytes += chunk.length;
        if (bytes > limit) throw tooLarge();
        if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      }
    } finally {
      out.end();
      await new Promise<void>((resolve) => out.once('close', () => resolve()));
    }
    let name = c.req.query('name') ?? decodeURIComponent(c.req.header('x-file-name') ?? '');
    if (multipart) {
      const form = await new Response(await readFile(path), { headers: { 'content-type': type } })
        .formData()
        .catch(() => {
          throw validationFailed([{ path: 'file', message: 'The multipart form is damaged: send the file again' }]);
        });
      const file = form.get('file');
      if (!file || typeof file === 'string') {
        throw validationFailed([{ path: 'file', message: 'Send the file in a form field named file' }]);
      }
      if (file.size > MAX_IMPORT_BYTES) throw tooLarge();
      name = file.name;
      bytes = file.size;
      await writeFile(path, Buffer.from(await file.arrayBuffer()));
    }
    if (!name) throw validationFailed([{ path: 'name', message: 'Give the file name (it tells the format)' }]);
    return { name, path, bytes, dir };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

export function importRoutes(ctx: AppContext) {
  const app = router();

  app.openapi(
    createRoute({
      method: 'post',
      path: '/imports',
      tags: ['Imports'],
      summary: 'Upload a CSV, TSV, TXT, XLSX, XLSM, ODS or FODS file (at most 50 MB) and preview it',
      description:
        'The file is the request body (`?name=users.xlsx` tells the format) or the `file` field of a multipart form. A text file is read in `encoding` when given, else in the encoding detected (UTF-8, UTF-16 with a byte order mark, or Windows-1252 for bytes that are not UTF-8); the job tells which. Nothing is written to the directory until the import is started.',
      request: {
        query: z.object({ name: z.string().max(255).optional(), encoding: textEncodingSchema.optional() }),
        body: {
          content: { 'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) } },
        },
      },
      responses: {
        201: json(ImportJobSchema, 'The preview'),
        ...errors,
        413: json(ErrorSchema, 'Larger than 50 MB (FileTooLarge)'),
        422: json(ErrorSchema, 'Not a readable file'),
      },
    }),
    async (c) => {
      const actor = requireSession(c).actor;
      ctx.imports.assertCanImport(actor);
      const upload = await saveUpload(c);
      try {
        return c.json(await ctx.imports.upload(actor, upload, { encoding: c.req.valid('query').encoding }), 201);
      } finally {
        await rm(upload.dir, { recursive: true, force: true });
      }
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/imports',
      tags: ['Imports'],
      summary: 'Recent imports of the account',
      responses: { 200: json(ImportListSchema, 'Imports'), ...errors },
    }),
    async (c) => c.json({ items: await ctx.imports.list(requireSession(c).actor) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/imports/{id}',
      tags: ['Imports'],
      summary: 'An import: its preview, problems, status and progress',
      request: { params: IdParams },
      responses: { 200: json(ImportJobSchema, 'The import'), ...errors, 404: notFound },
    }),
    async (c) => c.json(await ctx.imports.get(requireSession(c).actor, c.req.valid('param').id), 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/imports/{id}/reread',
      tags: ['Imports'],
      summary: 'Read a text file again in another encoding: a new preview replaces this one (and has a new id)',
      request: { params: IdParams, body: body(importRereadSchema) },
      responses: {
        201: json(ImportJobSchema, 'The new preview'),
        ...errors,
        404: notFound,
        ...conflicting('The import is running or finished (ImportRunning, ImportDone), or its upload expired'),
        422: json(ErrorSchema, 'The file cannot be read in that encoding'),
      },
    }),
    async (c) =>
      c.json(
        await ctx.imports.reread(requireSession(c).actor, c.req.valid('param').id, c.req.valid('json').encoding),
        201,
      ),
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/imports/{id}',
      tags: ['Imports'],
      summary: 'Fix the column mapping, the header choice or the mode; every row is checked again',
      request: { params: IdParams, body: body(importPreviewUpdateSchema) },
      responses: {
        200: json(ImportJobSchema, 'The new preview'),
        ...errors,
        404: notFound,
        ...conflicting('The import is running or finished (ImportRunning, ImportDone), or its upload expired'),
      },
    }),
    async (c) =>
      c.json(await ctx.imports.revise(requireSession(c).actor, c.req.valid('param').id, c.req.valid('json')), 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/imports/{id}/start',
      tags: ['Imports'],
      summary: 'Start the import (all or nothing unless `partial`); follow it with GET /imports/{id}',
      request: { params: IdParams, body: body(importStartSchema) },
      responses: {
        202: json(ImportJobSchema, 'Started'),
        ...errors,
        404: notFound,
        ...conflicting(
          'Not ready (ImportNotReady), nothing to import (NothingToImport), finished (ImportDone) or expired, or another import is running (ImportRunning)',
        ),
      },
    }),
    async (c) => {
      const session = requireSession(c);
      const started = await ctx.imports.start(session.actor, c.req.valid('param').id, c.req.valid('json'), {
        sessionToken: c.get('token'),
      });
      return c.json(started.job, 202);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/imports/{id}/cancel',
      tags: ['Imports'],
      summary: 'Cancel a running import (nothing is written)',
      request: { params: IdParams },
      responses: {
        200: json(ImportJobSchema, 'Cancelling'),
        ...errors,
        404: notFound,
        ...conflicting('The import is not running (ImportNotRunning)'),
      },
    }),
    async (c) => c.json(await ctx.imports.cancel(requireSession(c).actor, c.req.valid('param').id), 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/imports/{id}/bad-rows.csv',
      tags: ['Imports'],
      summary: 'The rows with problems, each with its problems, as CSV',
      request: { params: IdParams },
      responses: { 200: csv, ...errors, 404: notFound },
    }),
    async (c) => {
      const path = await ctx.imports.badRowsFile(requireSession(c).actor, c.req.valid('param').id);
      c.header('Content-Type', 'text/csv; charset=utf-8');
      c.header('Content-Disposition', 'attachment; filename="bad-rows.csv"');
      return c.body(Readable.toWeb(createReadStream(path)) as ReadableStream) as never;
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/imports/{id}/passwords.csv',
      tags: ['Imports'],
      summary: 'The generated passwords, once, for the session that ran the import',
      request: { params: IdParams },
      responses: { 200: csv, ...errors, 404: notFound },
    }),
    async (c) => {
      const session = requireSession(c);
      const text = await ctx.imports.takePasswords(session.actor, c.req.valid('param').id, c.get('token'));
      c.header('Content-Type', 'text/csv; charset=utf-8');
      c.header('Content-Disposition', 'attachment; filename="passwords.csv"');
      return c.body(text) as never;
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/import-settings',
      tags: ['Imports'],
      summary: 'The range imported users without a phone take free extensions from',
      responses: { 200: json(ImportSettingsSchema, 'Settings'), ...errors },
    }),
    async (c) => c.json(await ctx.imports.settings(requireSession(c).actor), 200),
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/import-settings',
      tags: ['Imports'],
      summary: 'Change the extension range',
      request: { body: body(importSettingsSchema) },
      responses: { 200: json(ImportSettingsSchema, 'Settings'), ...errors },
    }),
    async (c) => c.json(await ctx.imports.updateSettings(requireSession(c).actor, c.req.valid('json')), 200),
  );

  return app;
}
