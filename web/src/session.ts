// The signed-in session as react-query state: one cache entry every page reads and sign-in/out replaces.
import { type QueryClient, useQuery, useQueryClient } from '@tanstack/react-query';
import { ApiError, api, rememberCsrfToken, type Session } from './api.js';

export const SESSION_KEY = ['session'] as const;

async function fetchSession(): Promise<Session | null> {
  try {
    const session = await api<Session>('/session');
    rememberCsrfToken(session.csrfToken);
    return session;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      rememberCsrfToken(null);
      return null;
    }
    throw error;
  }
}

export function useSessionQuery() {
  return useQuery({ queryKey: SESSION_KEY, queryFn: fetchSession, staleTime: 60_000, retry: 1 });
}

/** The current session; only call below the gate that guarantees one exists. */
export function useSession(): Session {
  const { data } = useSessionQuery();
  if (!data) throw new Error('useSession used outside a signed-in page');
  return data;
}

export function setSession(client: QueryClient, session: Session | null): void {
  rememberCsrfToken(session?.csrfToken ?? null);
  if (session === null) {
    // Drop every cached page of the previous user before showing the sign-in page.
    client.removeQueries({ predicate: (query) => query.queryKey[0] !== SESSION_KEY[0] });
  }
  client.setQueryData(SESSION_KEY, session);
}

export function useSignOut(): () => Promise<void> {
  const client = useQueryClient();
  return async () => {
    try {
      await api('/auth/sign-out', { method: 'POST' });
    } finally {
      setSession(client, null);
    }
  };
}
