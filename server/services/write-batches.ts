// Group commit: writes that arrive together, or while one is in flight, are written together in one transaction.
//
// A write waits for the current turn of the event loop to end (no timer): the writes submitted in the same turn (the
// requests whose bytes came together, when nothing before the submit waits) queue behind it. That matters on SQLite,
// whose transactions run without giving the event loop a turn, so without it no write would ever find another
// queued. Under load, the writes queued share one transaction and one statement per step, which is most of what a
// write costs the database. When a shared write fails (one of them is refused, say a username in use), nothing of it
// is kept and each is written again alone, so every caller gets its own answer as if it had been alone.

export class WriteBatches<I, O> {
  private readonly queue: { item: I; resolve: (value: O) => void; reject: (error: unknown) => void }[] = [];
  private writing = false;

  /** `write` writes all items in one transaction and answers their results in the same order. */
  constructor(
    private readonly write: (items: I[]) => Promise<O[]>,
    private readonly max = 50,
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.writing) {
        this.writing = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain() {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.max);
        try {
          const results = await this.write(batch.map((entry) => entry.item));
          for (const [i, entry] of batch.entries()) entry.resolve(results[i] as O);
        } catch (error) {
          if (batch.length === 1) (batch[0] as (typeof batch)[number]).reject(error);
          else {
            for (const entry of batch) {
              await this.write([entry.item]).then(([result]) => entry.resolve(result as O), entry.reject);
            }
          }
        }
      }
    } finally {
      this.writing = false;
    }
  }
}
