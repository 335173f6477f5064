// What every API request passes before a route sees it: a caller (deny by default, before any body is read), and a
// JSON body read within a size limit, as valid UTF-8 and valid JSON, or refused in the API's error shape.
import { IncomingMessage } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import { findForbiddenText } from '../../shared/text.js';
import { AppError, unauthenticated, validationFailed } from '../errors.js';
import type { AppEnv } from './env.js';

/**
 * Public operations whose credential is a mailed link's token or an address alone: they never read the session, so a
 * link opened in a browser that is signed in needs no CSRF token there (cross-site posts are still refused).
 */
const SESSIONLESS = new Set([
  'POST /auth/forgot-password',
  'POST /auth/links/inspect',
  'POST /auth/links/password',
  'POST /auth/links/verify-email',
]);
/** Operations a stranger may call: everything else needs a session or an application key. */
const PUBLIC = new Set([
  'GET /auth/config',
  'POST /auth/sign-in',
  'POST /auth/sign-out',
  'GET /openapi.json',
  ...SESSIONLESS,
  'GET /auth/sso/callback',
]);
/** Public operations with a parameter in their path. */
const PUBLIC_PATTERNS = [/^GET \/auth\/sso\/[^/]+\/start$/];

/** The default JSON body limit, and the larger one of the routes that take many items at once. */
export const JSON_BODY_LIMIT = 1024 * 1024;
export const LARGE_JSON_BODY_LIMIT = 8 * 1024 * 1024;
const LARGE_BODIES = new Set(['POST /decisions/batch', 'POST /users/bulk']);
/** The import upload streams its file to disk with a limit of its own (50 MB). */
const OWN_LIMIT = new Set(['POST /imports']);
/** Deeper JSON than any request of the API needs is refused before a validator walks it. */
const MAX_JSON_DEPTH = 32;

const JSON_TYPE = /^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i;

export const malformedJson = (why = 'The request body is not valid JSON') => new AppError(400, 'MalformedJson', why);
export const payloadTooLarge = (limit: number) =>
  new AppError(413, 'PayloadTooLarge', `The request body is larger than ${Math.round(limit / 1024)} KB`);
export const unsupportedMediaType = () =>
  new AppError(415, 'UnsupportedMediaType', 'Send the body as application/json');

/** The operation's key as PUBLIC and the limits name it: method and path below `base`. */
function operation(method: string, url: string, base: string): string {
  const path = new URL(url).pathname;
  return `${method} ${path.startsWith(base) ? path.slice(base.length) || '/' : path}`;
}

/** Refuses query parameters holding control characters (see shared/text.ts), naming the parameter. */
export function safeQueries(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const forbidden = findForbiddenText(c.req.queries());
    if (forbidden)
      throw validationFailed([{ ...forbidden, path: forbidden.path.replace(/\.\d+$/, '') }], forbidden.message);
    await next();
  };
}

/** Whether the operation never reads the caller's session (see SESSIONLESS). */
export const isSessionless = (method: string, url: string, base: string) =>
  SESSIONLESS.has(operation(method, url, base));

const isPublic = (op: string) => PUBLIC.has(op) || PUBLIC_PATTERNS.some((pattern) => pattern.test(op));

/** Refuses a request with neither a session nor an application key, unless its operation is public. */
export function requireCaller(base: string): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (!c.get('session') && !c.get('apiKey') && !isPublic(operation(c.req.method, c.req.url, base))) {
      throw unauthenticated();
    }
    await next();
  };
}

/** Reads a web stream's body up to `limit` bytes; past it, the stream is cancelled and the request refused. */
async function readLimited(body: ReadableStream<Uint8Array>, limit: number): Promise<Uint8Array> {
  const reader = body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      throw payloadTooLarge(limit);
    }
    parts.push(value);
  }
  return Buffer.concat(parts);
}

const cutShort = () => new AppError(400, 'MalformedJson', 'The request body did not arrive whole');

/**
 * Reads Node's request body up to `limit` bytes, straight from the request: the web stream and the Request that
 * `c.req.raw.body` makes of it cost a quarter to a third of a SCIM create's CPU in the serving process. Past the limit
 * it stops reading and refuses the request; the serving layer (@hono/node-server) reads and drops the rest after the
 * answer, so the client gets its 413 on a connection that stays usable. A client that sent its whole body (the length
 * it declared) and then closed its side still has its request read.
 */
function readIncoming(incoming: IncomingMessage, limit: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    const finish = (settle: () => void) => {
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('error', onGone);
      incoming.off('close', onGone);
      settle();
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) parts.push(chunk);
      else {
        incoming.pause();
        finish(() => reject(payloadTooLarge(limit)));
      }
    };
    const onEnd = () => finish(() => resolve(Buffer.concat(parts)));
    const onGone = () => {
      if (incoming.readableEnded) return onEnd();
      // What came before the client left is still buffered (Node ends a request whose client closed its side).
      const errored = incoming.errored as NodeJS.ErrnoException | null;
      if (!errored || errored.code === 'ECONNRESET') {
        for (let rest = incoming.read() as Buffer | null; rest !== null; rest = incoming.read() as Buffer | null) {
          size += rest.length;
          parts.push(rest);
        }
      }
      const declared = Number(incoming.headers['content-length']);
      if (size <= limit && Number.isFinite(declared) && size === declared) onEnd();
      else finish(() => reject(size > limit ? payloadTooLarge(limit) : cutShort()));
    };
    if (incoming.readableEnded || incoming.destroyed) return onGone();
    incoming.on('data', onData);
    incoming.on('end', onEnd);
    incoming.on('error', onGone);
    incoming.on('close', onGone);
  });
}

/**
 * How to read the request's body up to a limit, or null when it has none: from Node's request when served by node:http
 * (@hono/node-server), else (called in-process, as the tests do) from the Request's stream.
 */
function bodyReader(c: Context<AppEnv>): ((limit: number) => Promise<Uint8Array>) | null {
  const incoming = (c.env as { incoming?: unknown } | undefined)?.incoming;
  if (incoming instanceof IncomingMessage) return (limit) => readIncoming(incoming, limit);
  const stream = c.req.raw.body;
  return stream ? (limit) => readLimited(stream, limit) : null;
}

function deeperThan(value: unknown, limit: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (limit === 0) return true;
  for (const item of Array.isArray(value) ? value : Object.values(value)) {
    if (deeperThan(item, limit - 1)) return true;
  }
  return false;
}

/**
 * Reads a JSON body once, within the operation's limit (checked from Content-Length, then while it streams), and
 * hands it to the routes' validators. Bytes that are not UTF-8, text that is not JSON and nesting deeper than any
 * request needs are a 400; other content types are not read (a JSON route answers 415 from the type alone).
 */
export function jsonBodies(base: string): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    const read = bodyReader(c);
    if (!read) return next();
    const op = operation(c.req.method, c.req.url, base);
    if (OWN_LIMIT.has(op)) return next();
    const limit = LARGE_BODIES.has(op) ? LARGE_JSON_BODY_LIMIT : JSON_BODY_LIMIT;
    const declared = Number(c.req.header('content-length'));
    if (Number.isFinite(declared) && declared > limit) throw payloadTooLarge(limit);
    if (!JSON_TYPE.test(c.req.header('content-type') ?? '')) return next();
    const bytes = await read(limit);
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw malformedJson('The request body is not valid UTF-8');
    }
    if (text.trim() !== '') {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        throw malformedJson();
      }
      if (deeperThan(value, MAX_JSON_DEPTH)) {
        throw malformedJson(`The JSON is nested deeper than ${MAX_JSON_DEPTH} levels`);
      }
      const forbidden = findForbiddenText(value);
      if (forbidden) throw validationFailed([forbidden], forbidden.message);
    }
    // The routers read the body from here (an empty one is then malformed for a route that needs a body).
    (c.req.bodyCache as Record<string, Promise<unknown>>).text = Promise.resolve(text);
    await next();
  };
}
