// Console sessions; the table holds a hash of the cookie token, never the token itself.
export interface SessionsTable {
  id: string;
  user_id: number;
  account_id: number;
  csrf_token: string;
  created_at: string;
  expires_at: string;
  last_seen_at: string;
  ip: string | null;
  user_agent: string | null;
}
