// The HTTP application: API under /api/v1, its OpenAPI document and docs page, and the console.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { secureHeaders } from 'hono/secure-headers';
import type { AppContext } from './context.js';
import { AppError, RateLimited } from './errors.js';
import { type AppEnv, router } from './http/env.js';
import { jsonBodies, malformedJson, requireCaller, safeQueries, unsupportedMediaType } from './http/request-guards.js';
import { responseContractCheck } from './http/response-contract.js';
import { sessionMiddleware } from './http/session.js';
import { accessRoutes } from './routes/access.js';
import { apiKeyRoutes } from './routes/api-keys.js';
import { auditRoutes } from './routes/audit.js';
import { authRoutes } from './routes/auth.js';
import { bulkRoutes } from './routes/bulk.js';
import { decisionRoutes } from './routes/decisions.js';
import { departmentRoutes } from './routes/departments.js';
import { directoryConnectionRoutes } from './routes/directory-connections.js';
import { eventRoutes } from './routes/events.js';
import { groupRoutes } from './routes/groups.js';
import { identityProviderRoutes } from './routes/identity-providers.js';
import { importRoutes } from './routes/imports.js';
import { licenseRoutes } from './routes/licenses.js';
import { mailRoutes } from './routes/mail.js';
import { meRoutes } from './routes/me.js';
import { profileRoutes } from './routes/profiles.js';
import { savedFilterRoutes } from './routes/saved-filters.js';
import { scimRoutes } from './routes/scim.js';
import { scimTokenRoutes } from './routes/scim-tokens.js';
import { securityRoutes } from './routes/security.js';
import { signInLinkRoutes } from './routes/sign-in-links.js';
import { ssoRoutes } from './routes/sso.js';
import { teamRoutes } from './routes/teams.js';
import { userRoutes } from './routes/users.js';
import { webhookRoutes } from './routes/webhooks.js';

const require = createRequire(import.meta.url);

export function createApp(ctx: AppContext) {
  const app = new Hono<AppEnv>();

  app.use(
    '*',
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        styleSrc: ["'self'", "'unsafe-inline'"],
        scriptSrc: ["'self'"],
        frameAncestors: ["'none'"],
      },
      crossOriginEmbedderPolicy: false,
    }),
  );

  app.onError((caught, c) => {
    let error = caught;
    // The routers' own refusals (a body that is not JSON, a content type that is not) in the API's error shape.
    if (error instanceof HTTPException && error.status < 500) {
      error =
        error.status === 415
          ? unsupportedMediaType()
          : error.status === 400
            ? malformedJson()
            : new AppError(error.status as AppError['status'], 'BadRequest', error.message || 'Bad request');
    }
    if (error instanceof SyntaxError && /JSON/.test(error.message)) error = malformedJson();
    if (error instanceof RateLimited) c.header('Retry-After', String(error.retryAfter));
    if (error instanceof AppError) {
      return c.json(
        { error: { code: error.code, message: error.message, ...(error.fields ? { fields: error.fields } : {}) } },
        error.status,
      );
    }
    console.error(`[roster] ${c.req.method} ${new URL(c.req.url).pathname} failed:`, error);
    return c.json({ error: { code: 'InternalError', message: 'Something went wrong on our side' } }, 500);
  });

  const api = router();
  if (ctx.config.checkResponses) {
    api.use(
      '*',
      responseContractCheck(() => api.openAPIRegistry.definitions, '/api/v1'),
    );
  }
  api.use('*', sessionMiddleware(ctx, '/api/v1'));
  api.use('*', requireCaller('/api/v1'));
  api.use('*', safeQueries());
  api.use('*', jsonBodies('/api/v1'));
  api.use('*', async (c, next) => {
    await next();
    c.header('Cache-Control', 'no-store');
  });
  api.route('/', authRoutes(ctx));
  api.route('/', bulkRoutes(ctx));
  api.route('/', userRoutes(ctx));
  api.route('/', savedFilterRoutes(ctx));
  api.route('/', auditRoutes(ctx));
  api.route('/', accessRoutes(ctx));
  api.route('/', licenseRoutes(ctx));
  api.route('/', decisionRoutes(ctx));
  api.route('/', apiKeyRoutes(ctx));
  api.route('/', scimTokenRoutes(ctx));
  api.route('/', importRoutes(ctx));
  api.route('/', profileRoutes(ctx));
  api.route('/', groupRoutes(ctx));
  api.route('/', teamRoutes(ctx));
  api.route('/', departmentRoutes(ctx));
  api.route('/', eventRoutes(ctx));
  api.route('/', webhookRoutes(ctx));
  api.route('/', mailRoutes(ctx));
  api.route('/', securityRoutes(ctx));
  api.route('/', signInLinkRoutes(ctx));
  api.route('/', meRoutes(ctx));
  api.route('/', ssoRoutes(ctx));
  api.route('/', identityProviderRoutes(ctx));
  api.route('/', directoryConnectionRoutes(ctx));
  api.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'Roster API',
      version: '1',
      description:
        'People and access for the contact-center suite. Console sessions use the `roster_session` cookie and send `X-CSRF-Token` on every state-changing request. Applications of the suite authenticate with `Authorization: Bearer <application key>` (no CSRF token) and may only ask for decisions and read access profiles (and Voice Analytics may report minutes used). The console sends `X-Roster-Client: console`; requests without it are API requests (only these may give or take the Scorer access type).',
    },
    servers: [{ url: '/api/v1' }],
  });
  app.route('/api/v1', api);
  mountDocs(app);
  app.route('/scim/v2', scimRoutes(ctx));
  app.all('/api/*', (c) => c.json({ error: { code: 'NotFound', message: 'No such API route' } }, 404));

  mountConsole(app, ctx.config.webRoot);
  return app;
}

/** A browsable page for the OpenAPI document, from the swagger-ui-dist package (no CDN). */
function mountDocs(app: Hono<AppEnv>) {
  const assets = resolve(require.resolve('swagger-ui-dist/package.json'), '..');
  app.get('/api/docs', (c) =>
    c.html(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Roster API</title>
<link rel="stylesheet" href="/api/docs/assets/swagger-ui.css"></head>
<body><div id="docs"></div><script src="/api/docs/assets/swagger-ui-bundle.js"></script>
<script src="/api/docs/init.js"></script></body></html>`),
  );
  app.get('/api/docs/init.js', (c) => {
    c.header('Content-Type', 'text/javascript');
    return c.body("window.ui = SwaggerUIBundle({ url: '/api/v1/openapi.json', dom_id: '#docs', deepLinking: true });");
  });
  app.get('/api/docs/assets/:file{[a-z0-9.-]+}', (c) => {
    const file = c.req.param('file');
    const path = join(assets, file);
    if (!existsSync(path)) return c.notFound();
    const type = file.endsWith('.css')
      ? 'text/css'
      : file.endsWith('.js')
        ? 'text/javascript'
        : 'application/octet-stream';
    c.header('Content-Type', type);
    c.header('Cache-Control', 'public, max-age=86400');
    return c.body(readFileSync(path));
  });
}

/** Serves the built console; any other path gets index.html so the console's router handles it. */
function mountConsole(app: Hono<AppEnv>, webRoot: string) {
  const root = resolve(webRoot);
  app.use(
    '/assets/*',
    serveStatic({ root, onFound: (_p, c) => c.header('Cache-Control', 'public, max-age=31536000, immutable') }),
  );
  app.use('*', serveStatic({ root }));
  app.get('*', (c) => {
    const index = join(root, 'index.html');
    if (!existsSync(index)) {
      return c.text('The console is not built. Run `npm run build` (npm start does it for you).', 503);
    }
    c.header('Cache-Control', 'no-cache');
    return c.html(readFileSync(index, 'utf8'));
  });
}
