// Wires configuration, database and services into the one object every route receives.
import type { Config } from './config.js';
import type { DatabaseHandle } from './db/index.js';
import { Accounts } from './services/accounts.js';
import { AuditLog } from './services/audit.js';
import { Auth } from './services/auth.js';
import { SavedFilters } from './services/saved-filters.js';
import { UserDirectory } from './services/users.js';

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export function createContext(config: Config, database: DatabaseHandle, clock: Clock = systemClock) {
  const now = () => clock.now();
  const audit = new AuditLog(database.db, now);
  return {
    config,
    database,
    clock,
    audit,
    accounts: new Accounts(database.db, audit, now),
    auth: new Auth(database.db, audit, now),
    users: new UserDirectory(database, audit, now),
    savedFilters: new SavedFilters(database.db, audit, now),
  };
}

export type AppContext = ReturnType<typeof createContext>;
