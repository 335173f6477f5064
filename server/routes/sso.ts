// The single sign-on flow: start at a provider, come back with a code; both answer with redirects, and a failure
// sends the browser to the sign-in page with a stable code (never the provider's own words).
import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { ssoCallbackQuerySchema, ssoStartQuerySchema } from '../../shared/sso-schemas.js';
import type { AppContext } from '../context.js';
import type { AppEnv } from '../http/env.js';
import { router } from '../http/env.js';
import { setSessionCookie } from '../http/session.js';
import { SsoFailure } from '../services/sso.js';
import { ErrorSchema, errors, json } from './schemas.js';

/** Where providers send the browser back: registered at each provider. */
export function ssoRedirectUri(c: Context<AppEnv>, ctx: AppContext): string {
  const base = ctx.config.publicUrl ?? new URL(c.req.url).origin;
  return `${base.replace(/\/+$/, '')}/api/v1/auth/sso/callback`;
}

const redirects = {
  ...errors,
  302: { description: 'To the provider, to the console once signed in, or to the sign-in page with `sso_error`' },
  429: json(ErrorSchema, 'Too many single sign-on requests from this address (RateLimited; see Retry-After)'),
};

function failed(c: Context<AppEnv>, failure: SsoFailure) {
  const query = new URLSearchParams();
  if (failure.accountSlug) query.set('account', failure.accountSlug);
  query.set('sso_error', failure.code);
  return c.redirect(`/sign-in?${query}`, 302);
}

export function ssoRoutes(ctx: AppContext) {
  const app = router();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/auth/sso/{provider}/start',
      tags: ['Auth'],
      summary: 'Start signing in through an identity provider of the account (redirects to the provider)',
      request: {
        params: z.object({
          provider: z
            .string()
            .max(100)
            .regex(/^[a-z0-9-]+$/, 'Not an identity provider of this account')
            .openapi({ param: { name: 'provider', in: 'path' }, example: 'okta' }),
        }),
        query: ssoStartQuerySchema,
      },
      responses: redirects,
    }),
    async (c) => {
      await ctx.sso.throttle(c.get('ip'));
      const slug = c.req.valid('query').account || (await ctx.accounts.first())?.slug || '';
      try {
        const to = await ctx.sso.start(slug, c.req.valid('param').provider, ssoRedirectUri(c, ctx));
        return c.redirect(to.href, 302);
      } catch (error) {
        if (!(error instanceof SsoFailure)) throw error;
        console.warn(`[roster] single sign-on start refused (${error.code}): ${error.message}`);
        return failed(c, error);
      }
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/auth/sso/callback',
      tags: ['Auth'],
      summary: 'Where the identity provider sends the browser back; sets the session cookie and redirects to /',
      request: { query: ssoCallbackQuerySchema },
      responses: redirects,
    }),
    async (c) => {
      await ctx.sso.throttle(c.get('ip'));
      try {
        const { token } = await ctx.sso.finish(new URL(c.req.url), ssoRedirectUri(c, ctx), {
          ip: c.get('ip'),
          userAgent: c.req.header('user-agent'),
        });
        setSessionCookie(c, ctx, token);
        return c.redirect('/', 302);
      } catch (error) {
        if (!(error instanceof SsoFailure)) throw error;
        console.warn(`[roster] single sign-on refused (${error.code}): ${error.message}`);
        return failed(c, error);
      }
    },
  );

  return app;
}
