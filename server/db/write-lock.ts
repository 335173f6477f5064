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
