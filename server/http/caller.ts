// Routes that the suite's applications call accept an application key as well as a signed-in user.
import type { Context } from 'hono';
import type { Caller } from '../services/decisions.js';
import type { AppEnv } from './env.js';
import { requireSession } from './session.js';

/** The only requests an application key may make: decisions, access profiles, Voice Analytics usage, events. */
const KEY_ROUTES: [string, RegExp][] = [
  ['POST', /^\/api\/v1\/decisions(\/batch)?$/],
  ['GET', /^\/api\/v1\/access-profiles(\/\d+)?$/],
  ['POST', /^\/api\/v1\/licenses\/usage$/],
  ['GET', /^\/api\/v1\/events$/],
];

export function keyMayCall(method: string, path: string): boolean {
  return KEY_ROUTES.some(([m, pattern]) => m === method && pattern.test(path));
}

export function requireCaller(c: Context<AppEnv>): Caller {
  const key = c.get('apiKey');
  if (key) return { kind: 'key', key };
  return { kind: 'user', actor: requireSession(c).actor };
}
