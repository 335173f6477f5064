// The console's one door to the Roster API: JSON in and out, CSRF header on mutations, errors as ApiError.

import { CLIENT_HEADER, CONSOLE_CLIENT } from '../../shared/access.js';
import type { FieldError } from '../../shared/responses/errors.js';

export type { FieldError };

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: FieldError[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** Field errors keyed by their top-level field name (the first one wins). */
  fieldMap(): Record<string, string> {
    const map: Record<string, string> = {};
    for (const field of this.fields) {
      const key = field.path.split('.')[0] ?? field.path;
      map[key] ??= field.message || this.message;
    }
    return map;
  }
}

// The API's shapes, inferred from the schemas the server documents and tests validate (shared/responses/).
export type { AuditEvent } from '../../shared/responses/audit.js';
export type { ModuleRuleView, Profile, ProfileList } from '../../shared/responses/profiles.js';
export type { Session } from '../../shared/responses/session.js';
export type {
  BulkReport,
  HighlightField,
  SavedFilter,
  SavedFilterBody,
  User,
  UserFacets,
  UserListItem,
  UserPage,
} from '../../shared/responses/users.js';

export const API_BASE = '/api/v1';

let csrfToken: string | null = null;

/** The session response carries the token every mutating request must echo. */
export function rememberCsrfToken(token: string | null): void {
  csrfToken = token;
}

type Query = Record<string, string | number | boolean | null | undefined>;

/** Builds `?a=1&b=2` from the defined, non-empty values only. */
export function toSearch(query: Query | undefined): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined || value === null || value === '') continue;
    params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** An answer that named its version in an ETag header carries it as `etag` (a single user: send it as If-Match). */
export type Versioned<T> = T & { etag?: string };

export async function api<T>(
  path: string,
  options: {
    method?: string;
    body?: unknown;
    query?: Query;
    signal?: AbortSignal;
    headers?: Record<string, string>;
  } = {},
): Promise<T> {
  const method = options.method ?? 'GET';
  // The server tells console edits from API calls by this header (Scorer is set through the API only).
  const headers: Record<string, string> = {
    ...options.headers,
    Accept: 'application/json',
    [CLIENT_HEADER]: CONSOLE_CLIENT,
  };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['X-CSRF-Token'] = csrfToken;

  let response: Response;
  try {
    response = await fetch(`${API_BASE}${path}${toSearch(options.query)}`, {
      method,
      headers,
      credentials: 'same-origin',
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError(0, 'NetworkError', 'Roster cannot be reached. Check your connection and try again.');
  }

  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let data: unknown = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const error = (data as { error?: { code?: string; message?: string; fields?: FieldError[] } } | null)?.error;
    throw new ApiError(
      response.status,
      error?.code ?? `Http${response.status}`,
      error?.message ?? `The server answered ${response.status} ${response.statusText}`.trim(),
      error?.fields ?? [],
    );
  }
  const etag = response.headers.get('ETag');
  if (etag && data && typeof data === 'object' && !Array.isArray(data)) (data as { etag?: string }).etag = etag;
  return data as T;
}

/** Sends a file as the request body (imports); errors come back as ApiError like any other call. */
export async function apiUpload<T>(path: string, file: File, query?: Query): Promise<T> {
  const headers: Record<string, string> = {
    Accept: 'application/json',
    'Content-Type': 'application/octet-stream',
    [CLIENT_HEADER]: CONSOLE_CLIENT,
  };
  if (csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let response: Response;
  try {
    response = await fetch(`${API_BASE}${path}${toSearch(query)}`, {
      method: 'POST',
      headers,
      credentials: 'same-origin',
      body: file,
    });
  } catch {
    throw new ApiError(0, 'NetworkError', 'Roster cannot be reached. Check your connection and try again.');
  }
  const data = (await response.json().catch(() => null)) as
    | (T & { error?: { code?: string; message?: string; fields?: FieldError[] } })
    | null;
  if (!response.ok) {
    const error = data?.error;
    throw new ApiError(
      response.status,
      error?.code ?? `Http${response.status}`,
      error?.message ?? `The server answered ${response.status}`,
      error?.fields ?? [],
    );
  }
  return data as T;
}
