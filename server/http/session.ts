// Resolves the caller's session from its cookie, enforces CSRF on state-changing requests, and gates routes.
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { AppContext } from '../context.js';
import { AppError, unauthenticated } from '../errors.js';
import { type SessionInfo, safeEqual } from '../services/auth.js';
import type { AppEnv } from './env.js';

export const SESSION_COOKIE = 'roster_session';
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function isHttps(c: Context, ctx: AppContext): boolean {
  if (new URL(c.req.url).protocol === 'https:') return true;
  return ctx.config.trustProxy && c.req.header('x-forwarded-proto') === 'https';
}

function clientIp(c: Context, ctx: AppContext): string | null {
  if (ctx.config.trustProxy) {
    const forwarded = c.req.header('x-forwarded-for')?.split(',')[0]?.trim();
    if (forwarded) return forwarded;
  }
  try {
    return getConnInfo(c).remote.address ?? null;
  } catch {
    return null;
  }
}

export function sessionMiddleware(ctx: AppContext): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    c.set('ip', clientIp(c, ctx));
    const token = getCookie(c, SESSION_COOKIE);
    const session = await ctx.auth.session(token);
    c.set('token', session ? token : undefined);
    c.set('session', session);
    if (UNSAFE.has(c.req.method)) {
      if (session) {
        const sent = c.req.header('x-csrf-token') ?? '';
        if (!safeEqual(sent, session.csrfToken))
          throw new AppError(403, 'CsrfFailed', 'Missing or wrong X-CSRF-Token header');
      } else {
        // No session yet (sign-in): refuse cross-site posts outright.
        const origin = c.req.header('origin');
        if (origin && new URL(origin).host !== new URL(c.req.url).host && origin !== ctx.config.publicUrl) {
          throw new AppError(403, 'CsrfFailed', 'Cross-site request refused');
        }
      }
    }
    await next();
  };
}

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

/** The signed-in caller; a user who still has to replace a temporary password may do nothing else. */
export function requireSession(c: Context<AppEnv>, options: { allowPending?: boolean } = {}): SessionInfo {
  const session = c.get('session');
  if (!session) throw unauthenticated();
  if (!options.allowPending && session.requiredActions.includes('update_password')) {
    throw new AppError(403, 'PasswordChangeRequired', 'Choose a new password first');
  }
  return session;
}
