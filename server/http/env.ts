// The per-request values every route can read.
import { OpenAPIHono, type z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { AppError, validationFailed } from '../errors.js';
import type { Channel } from '../policy.js';
import type { ApiKeyPrincipal } from '../services/api-keys.js';
import type { SessionInfo } from '../services/auth.js';

export interface AppEnv {
  Variables: {
    session: SessionInfo | null;
    token: string | undefined;
    ip: string | null;
    /** The application key of a `Authorization: Bearer` request (then there is no session). */
    apiKey: ApiKeyPrincipal | null;
    /** `console` when the console sent X-Roster-Client: console, else `api`. */
    channel: Channel;
  };
}

/** The API's ValidationFailed error for zod's issues, naming each field. */
const invalid = (issues: readonly z.core.$ZodIssue[]) =>
  validationFailed(
    issues.map((issue) => ({ path: issue.path.map(String).join('.') || '(body)', message: issue.message })),
  );

/** A router whose validation failures become the API's ValidationFailed error, naming each field. */
export function router() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw invalid(result.error.issues);
    },
  });
}

/**
 * A JSON body validated with zod's synchronous parser, failing as the routers' validation does. The routers
 * validate asynchronously, which skips zod's compiled fast path: for large bodies (a batch of a thousand
 * decisions) that costs more than answering them.
 */
export async function jsonBody<T extends z.ZodType>(c: Context, schema: T): Promise<z.output<T>> {
  if (!/^application\/(?:[\w.-]+\+)?json(?:;|$)/i.test(c.req.header('content-type') ?? '')) {
    throw new AppError(415, 'UnsupportedMediaType', 'Send the body as application/json');
  }
  const result = schema.safeParse(await c.req.json());
  if (!result.success) throw invalid(result.error.issues);
  return result.data;
}
