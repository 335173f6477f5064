// Vocabulary of access shared by the server and the console: the suite's applications, licenses and chat settings.

export const APP_KEYS = ['chat', 'call_recording', 'voice_analytics', 'quality_management', 'call_tracking'] as const;
export type AppKey = (typeof APP_KEYS)[number];

export type PoolKind = 'seats' | 'minutes';

export interface AppInfo {
  /** The application's name in the console. */
  name: string;
  /** The license's name, as users and invoices know it. */
  license: string;
  /** What a pool of this application counts: seats (one per licensed user) or minutes shared by everyone. */
  pool: PoolKind;
}

export const APPS: Record<AppKey, AppInfo> = {
  chat: { name: 'Chat routing', license: 'Smartflows', pool: 'seats' },
  call_recording: { name: 'Call Recording', license: 'Call Recording', pool: 'seats' },
  voice_analytics: { name: 'Voice Analytics', license: 'Voice Analytics', pool: 'minutes' },
  quality_management: { name: 'Quality Management', license: 'Quality Management', pool: 'seats' },
  call_tracking: { name: 'Call Tracking', license: 'Call Tracking', pool: 'seats' },
};

/** How the console names an application's license: "Smartflows (Chat routing)", or just the name they share. */
export const licenseLabel = (key: AppKey): string =>
  APPS[key].license === APPS[key].name ? APPS[key].license : `${APPS[key].license} (${APPS[key].name})`;

export const isAppKey = (value: string): value is AppKey => (APP_KEYS as readonly string[]).includes(value);

export const CHAT_STATUSES = ['available', 'unavailable', 'inactive'] as const;
export type ChatStatus = (typeof CHAT_STATUSES)[number];
export const CHAT_STATUS_LABELS: Record<ChatStatus, string> = {
  available: 'Available',
  unavailable: 'Unavailable',
  inactive: 'Inactive',
};

/** -1 means no limit: the agent receives any number of chats at once (the default). */
export const UNLIMITED_CHATS = -1;
export const MAX_CHAT_LIMIT = 100;

/** The header the console sends on every request, so the server can tell console edits from API calls. */
export const CLIENT_HEADER = 'X-Roster-Client';
export const CONSOLE_CLIENT = 'console';

/** Role names: upper-case letters, digits and underscores, like the built-in EVAL_AGENTS. */
export const ROLE_NAME_PATTERN = /^[A-Z][A-Z0-9_]*$/;

/** Application keys carry this prefix, so a leaked one is easy to recognize (and to scan for). */
export const API_KEY_PREFIX = 'rst_';
