// The audit log: who changed what, when, with the state before and after.
import type { Generated } from 'kysely';

export interface AuditEventsTable {
  id: Generated<number>;
  account_id: number;
  at: string;
  actor_user_id: number | null;
  actor_username: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  target_label: string | null;
  before_json: string | null;
  after_json: string | null;
  ip: string | null;
}
