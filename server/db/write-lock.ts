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
// The serving connection also leaves the log's checkpoints to the other connection meanwhile: its own would run after
// one of its commits and copy what the other wrote, in the serving thread.
const sharing = new WeakMap<object, number>();

/** SQLite's automatic checkpoint, in pages of log (its default). */
const CHECKPOINT_PAGES = 1000;

/**
 * Marks the database (its handle) as written by another connection meanwhile; call the result to end it. The serving
 * connection checkpoints again once no other connection writes.
 */
export function shareWriter(handle: { db: object; sqlite: { pragma(source: string): unknown } | null }): () => void {
  const { db, sqlite } = handle;
  const before = sharing.get(db) ?? 0;
  sharing.set(db, before + 1);
  if (before === 0) sqlite?.pragma('wal_autocheckpoint = 0');
  return () => {
    const after = Math.max(0, (sharing.get(db) ?? 1) - 1);
    sharing.set(db, after);
    if (after === 0) sqlite?.pragma(`wal_autocheckpoint = ${CHECKPOINT_PAGES}`);
  };
}

/** Whether the database's writes take turns with another connection's (see SharedSqliteDriver). */
export const beginsWriting = (db: object): boolean => (sharing.get(db) ?? 0) > 0 && !writerHeld(db);
