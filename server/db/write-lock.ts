// SQLite has one writer. While a long transaction of this process holds it on its own connection (an import), the
// process's optional writes (a session's last-seen touch) skip instead of waiting for the lock, which would stall
// the event loop for the busy timeout and then fail the request.
const held = new WeakMap<object, number>();

/** Marks the database (its Kysely instance) as having its writer held; call the result to release it. */
export function holdWriter(db: object): () => void {
  held.set(db, (held.get(db) ?? 0) + 1);
  return () => held.set(db, Math.max(0, (held.get(db) ?? 1) - 1));
}

export const writerHeld = (db: object): boolean => (held.get(db) ?? 0) > 0;

// While another connection of this process writes the database transaction after transaction (a directory sync's
// thread), the serving connection's transactions take the writer lock when they begin and take turns with the other
// connection (see SharedSqliteDriver in index.ts). Not while an import holds the writer: they would wait for all of it
// (the import takes its turn too, so the sync's thread waits for it).
const sharing = new WeakMap<object, number>();

/** Marks the database (its Kysely instance) as written by another connection meanwhile; call the result to end it. */
export function shareWriter(db: object): () => void {
  sharing.set(db, (sharing.get(db) ?? 0) + 1);
  return () => sharing.set(db, Math.max(0, (sharing.get(db) ?? 1) - 1));
}

/** Whether another connection of the process writes the database meanwhile (a sync's thread). */
export const writerShared = (db: object): boolean => (sharing.get(db) ?? 0) > 0;

/** Whether the database's writes take turns with another connection's (see SharedSqliteDriver). */
export const beginsWriting = (db: object): boolean => (sharing.get(db) ?? 0) > 0 && !writerHeld(db);
