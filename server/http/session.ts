// Resolves the caller's session from its cookie, enforces CSRF on state-changing requests, and gates routes.
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { CLIENT_HEADER, CONSOLE_CLIENT } from '../../shared/access.js';
import { REQUIRED_ACTION_LABELS } from '../../shared/constants.js';
import type { AppContext } from '../context.js';
import { AppError, unauthenticated } from '../errors.js';
import { type SessionInfo, safeEqual } from '../services/auth.js';
import { keyMayCall } from './caller.js';
import type { AppEnv } from './env.js';
import { isSessionless } from './request-guards.js';

export const SESSION_COOKIE = 'roster_session';
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function isHttps(c: Context, ctx: AppContext): boolean {
  if (new URL(c.req.url).protocol === 'https:') return true;
  return ctx.config.trustProxy && c.req.header('x-forwarded-proto') === 'https';
}

/**
 * The client's address. Behind the one trusted reverse proxy, the last X-Forwarded-For entry: the proxy appends the
 * address it saw, while entries before it are whatever the client sent (trusting the first would let anyone choose
 * the address every per-address limit counts).
 */
export function clientIp(c: Context, ctx: AppContext): string | null {
  if (ctx.config.trustProxy) {
    const forwarded = c.req.header('x-forwarded-for')?.split(',').at(-1)?.trim();
    if (forwarded) return forwarded;
  }
  try {
    return getConnInfo(c).remote.address ?? null;
  } catch {
    return null;
  }
}

export function sessionMiddleware(ctx: AppContext, base: string): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    c.set('ip', clientIp(c, ctx));
    c.set('channel', c.req.header(CLIENT_HEADER) === CONSOLE_CLIENT ? 'console' : 'api');
    c.set('apiKey', null);
    const authorization = c.req.header('authorization');
    if (authorization !== undefined) {
      // An application key: no cookie and no session, so CSRF does not apply; only routes that accept keys answer.
      const bearer = /^Bearer\s+(\S+)$/i.exec(authorization)?.[1];
      const key = bearer ? await ctx.apiKeys.authenticate(bearer) : null;
      if (!key) throw new AppError(401, 'InvalidApiKey', 'Unknown or revoked application key');
      if (!keyMayCall(c.req.method, new URL(c.req.url).pathname)) throw apiKeyNotAllowed();
      c.set('apiKey', key);
      c.set('channel', 'api');
      c.set('session', null);
      c.set('token', undefined);
      return next();
    }
    const token = getCookie(c, SESSION_COOKIE);
    const session = await ctx.auth.session(token);
    c.set('token', session ? token : undefined);
    c.set('session', session);
    if (UNSAFE.has(c.req.method)) {
      if (session && !isSessionless(c.req.method, c.req.url, base)) {
        const sent = c.req.header('x-csrf-token') ?? '';
        if (!safeEqual(sent, session.csrfToken))
          throw new AppError(403, 'CsrfFailed', 'Missing or wrong X-CSRF-Token header');
      } else {
        // No session yet (sign-in), or a route whose credential is the body's link token and which never reads the
        // session (a mailed link opened in a browser that is signed in): refuse cross-site posts outright.
        // `Origin: null` (a sandboxed or privacy-redirected page) or one that is not a URL is no known site either.
        const origin = c.req.header('origin');
        if (origin !== undefined && originHost(origin) !== new URL(c.req.url).host && origin !== ctx.config.publicUrl) {
          throw new AppError(403, 'CsrfFailed', 'Cross-site request refused');
        }
      }
    }
    await next();
  };
}

function originHost(origin: string): string | null {
  try {
    return new URL(origin).host || null;
  } catch {
    return null;
  }
}

const apiKeyNotAllowed = () =>
  new AppError(403, 'ApiKeyNotAllowed', 'Application keys may only ask for decisions and read access profiles');

export function setSessionCookie(c: Context, ctx: AppContext, token: string): void {
  setCookie(c, SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'Lax',
    secure: isHttps(c, ctx),
    path: '/',
    maxAge: 12 * 3600,
  });
}

export function clearSessionCookie(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, { path: '/' });
}

/**
 * The signed-in caller. A session still waiting for a one-time code may only send it (`allowCodeStep`); a user with
 * required actions may only do them (`allowPending` marks the routes that do them), before anything else.
 */
export function requireSession(
  c: Context<AppEnv>,
  options: { allowPending?: boolean; allowCodeStep?: boolean } = {},
): SessionInfo {
  if (c.get('apiKey')) throw apiKeyNotAllowed();
  const session = c.get('session');
  if (!session) throw unauthenticated();
  if (session.pendingStep === 'otp' && !options.allowCodeStep) {
    throw new AppError(401, 'SecondFactorRequired', 'Enter the one-time code from your authenticator app first');
  }
  const first = session.requiredActions[0];
  if (!options.allowPending && first) {
    if (first === 'update_password') throw new AppError(403, 'PasswordChangeRequired', 'Choose a new password first');
    throw new AppError(
      403,
      'RequiredActionPending',
      `Finish what your administrator asked first: ${REQUIRED_ACTION_LABELS[first]}`,
    );
  }
  return session;
}
