// The per-request values every route can read.
import { OpenAPIHono } from '@hono/zod-openapi';
import { validationFailed } from '../errors.js';
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

/** A router whose validation failures become the API's ValidationFailed error, naming each field. */
export function router() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        throw validationFailed(
          result.error.issues.map((issue) => ({
            path: issue.path.map(String).join('.') || '(body)',
            message: issue.message,
          })),
        );
      }
    },
  });
}
