// Import jobs (one per uploaded file) and each account's range of free extensions for imported users.
import type { Generated } from 'kysely';

export interface ImportJobsTable {
  id: Generated<number>;
  account_id: number;
  created_by: number | null;
  file_name: string;
  format: string;
  /** A text file's encoding as it was read; null for spreadsheets. */
  encoding: string | null;
  file_bytes: Generated<number>;
  status: string;
  mode: Generated<string>;
  partial: Generated<number>;
  has_header: Generated<number>;
  mapping_json: Generated<string>;
  headers_json: Generated<string>;
  preview_json: Generated<string>;
  problems_json: Generated<string>;
  total_rows: Generated<number>;
  bad_rows: Generated<number>;
  problem_count: Generated<number>;
  to_create: Generated<number>;
  to_update: Generated<number>;
  phase: Generated<string>;
  processed: Generated<number>;
  created: Generated<number>;
  updated: Generated<number>;
  skipped: Generated<number>;
  generated_passwords: Generated<number>;
  cancel_requested: Generated<number>;
  message: Generated<string>;
  secrets: Buffer | null;
  created_at: string;
  updated_at: string;
  started_at: string | null;
  finished_at: string | null;
  heartbeat_at: string | null;
}

export interface ImportSettingsTable {
  account_id: number;
  extension_first: number;
  extension_last: number;
  updated_at: string;
}
