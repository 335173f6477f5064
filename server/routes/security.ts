// The account's password policy (read by every signed-in user, set by admins who manage sign-in security) and the
// password check the console's password fields call as one types.
import { createRoute } from '@hono/zod-openapi';
import { passwordCheckSchema, passwordPolicySchema } from '../../shared/password-policy.js';
import { PasswordCheckSchema, PasswordPolicyViewSchema } from '../../shared/responses/security.js';
import type { AppContext } from '../context.js';
import { router } from '../http/env.js';
import { requireSession } from '../http/session.js';
import { body, ErrorSchema, errors, json, missing } from './schemas.js';

export function securityRoutes(ctx: AppContext) {
  const app = router();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/security/password-policy',
      tags: ['Security'],
      summary: "The account's password policy (any signed-in user: their password fields show its rules)",
      responses: { 200: json(PasswordPolicyViewSchema, 'Password policy'), ...errors },
    }),
    async (c) => c.json(await ctx.passwordPolicies.view(requireSession(c, { allowPending: true }).actor), 200),
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/security/password-policy',
      tags: ['Security'],
      summary: "Set the account's password policy",
      request: { body: body(passwordPolicySchema) },
      responses: { 200: json(PasswordPolicyViewSchema, 'Saved'), ...errors },
    }),
    async (c) =>
      c.json(await ctx.passwordPolicies.update(requireSession(c).actor, c.req.valid('json'), c.get('ip')), 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/auth/password-check',
      tags: ['Auth'],
      summary:
        'Every password-policy rule a password breaks (breached list included; the history only when the password is ' +
        "saved): one's own, another user's (userId) or a new user's (newUser). Nothing is stored or logged",
      request: { body: body(passwordCheckSchema) },
      responses: {
        200: json(PasswordCheckSchema, 'The rules broken; none = acceptable'),
        ...errors,
        ...missing('user'),
        429: json(ErrorSchema, 'Too many checks from this session (RateLimited; see Retry-After)'),
      },
    }),
    async (c) => {
      const session = requireSession(c, { allowPending: true });
      return c.json(await ctx.passwordPolicies.check(session.actor, session.csrfToken, c.req.valid('json')), 200);
    },
  );

  return app;
}
