// Sign-in, sign-out, password change and the current session.
import { createRoute } from '@hono/zod-openapi';
import { AuthConfigSchema } from '../../shared/responses/session.js';
import { changePasswordSchema, signInSchema } from '../../shared/schemas.js';
import { authConfigQuerySchema } from '../../shared/sso-schemas.js';
import type { AppContext } from '../context.js';
import { router } from '../http/env.js';
import { clearSessionCookie, requireSession, SESSION_COOKIE, setSessionCookie } from '../http/session.js';
import { sessionAbilities } from '../policy.js';
import type { SessionInfo } from '../services/auth.js';
import { presentUserFor } from '../services/user-presenter.js';
import { body, ErrorSchema, errors, json, SessionSchema } from './schemas.js';

export function presentSession(session: SessionInfo) {
  return {
    user: presentUserFor(session.actor, session.user),
    account: session.account,
    csrfToken: session.csrfToken,
    requiredActions: session.pendingStep ? [] : session.requiredActions,
    secondFactor: session.pendingStep,
    abilities: sessionAbilities(session.actor),
  };
}

export function authRoutes(ctx: AppContext) {
  const app = router();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/auth/config',
      tags: ['Auth'],
      summary: 'What the sign-in page needs to know',
      request: { query: authConfigQuerySchema },
      responses: { 200: json(AuthConfigSchema, 'Sign-in settings'), ...errors },
    }),
    async (c) => {
      const defaultAccount = (await ctx.accounts.first()) ?? null;
      const asked = c.req.valid('query').account;
      const account = asked ? await ctx.accounts.bySlug(asked) : defaultAccount;
      const providers = account ? await ctx.identityProviders.signInOptions(account.id) : [];
      return c.json({ defaultAccount: defaultAccount?.slug ?? null, providers }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/auth/sign-in',
      tags: ['Auth'],
      summary: 'Sign in with a password; sets the session cookie',
      request: { body: body(signInSchema) },
      responses: {
        200: json(SessionSchema, 'Signed in'),
        ...errors,
        429: json(ErrorSchema, 'Too many failed sign-ins from this address (RateLimited; see Retry-After)'),
        503: json(
          ErrorSchema,
          "DirectoryUnavailable: the directory that checks a synced user's password cannot be reached",
        ),
      },
    }),
    async (c) => {
      const input = c.req.valid('json');
      const slug = input.account || (await ctx.accounts.first())?.slug || '';
      const token = await ctx.auth.signIn(slug, input.username, input.password, {
        ip: c.get('ip'),
        userAgent: c.req.header('user-agent'),
      });
      setSessionCookie(c, ctx, token);
      const session = await ctx.auth.session(token);
      if (!session) throw new Error('session vanished right after sign-in');
      return c.json(presentSession(session), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/auth/sign-out',
      tags: ['Auth'],
      summary: 'Sign out and end the session',
      responses: { 204: { description: 'Signed out' }, ...errors },
    }),
    async (c) => {
      await ctx.auth.signOut(c.get('token'));
      clearSessionCookie(c);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/auth/change-password',
      tags: ['Auth'],
      summary: 'Change your own password (also completes the Update Password required action)',
      request: { body: body(changePasswordSchema) },
      responses: {
        200: json(SessionSchema, 'Password changed'),
        ...errors,
        409: json(ErrorSchema, "DirectoryPassword: your password is your directory's, changed there"),
      },
    }),
    async (c) => {
      const session = requireSession(c, { allowPending: true });
      const input = c.req.valid('json');
      const token = c.get('token') as string;
      await ctx.auth.changePassword(session, token, input.currentPassword, input.newPassword, c.get('ip'));
      const fresh = await ctx.auth.session(token);
      if (!fresh) throw new Error('session vanished after a password change');
      return c.json(presentSession(fresh), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/session',
      tags: ['Auth'],
      summary: 'The signed-in user, their abilities and the CSRF token',
      responses: { 200: json(SessionSchema, 'Current session'), ...errors },
    }),
    (c) => c.json(presentSession(requireSession(c, { allowPending: true, allowCodeStep: true })), 200),
  );

  return app;
}

export { SESSION_COOKIE };
