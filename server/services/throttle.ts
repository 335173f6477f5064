// Counters per key in a time window, shared by every serving process (the sign_in_throttle table): how often a client
// address or a user may ask for something a stranger can trigger (password-reset mails, one-time codes).
import type { Db } from '../db/index.js';
import { RateLimited } from '../errors.js';

export class Throttle {
  constructor(
    private readonly db: Db,
    private readonly now: () => Date,
  ) {}

  /**
   * Counts one more request for `key` in the current window of `minutes` (a new window starts once the last is over);
   * `ok` is false when it is past `limit`, with the seconds until the window ends.
   */
  async take(key: string, limit: number, minutes: number): Promise<{ ok: boolean; retryAfter: number }> {
    const now = this.now();
    const at = now.toISOString();
    const windowStart = new Date(now.getTime() - minutes * 60_000).toISOString();
    const row = await this.db
      .insertInto('sign_in_throttle')
      .values({ client: key, window_started_at: at, failures: 1 })
      .onConflict((oc) =>
        oc.column('client').doUpdateSet((eb) => {
          const over = eb('sign_in_throttle.window_started_at', '<=', windowStart);
          return {
            failures: eb
              .case()
              .when(over)
              .then(1)
              .else(eb('sign_in_throttle.failures', '+', 1))
              .end(),
            window_started_at: eb.case().when(over).then(at).else(eb.ref('sign_in_throttle.window_started_at')).end(),
          };
        }),
      )
      .returning(['failures', 'window_started_at'])
      .executeTakeFirstOrThrow();
    const ends = new Date(row.window_started_at).getTime() + minutes * 60_000;
    return { ok: row.failures <= limit, retryAfter: Math.max(1, Math.ceil((ends - now.getTime()) / 1000)) };
  }

  /** Seconds to wait when `limit` requests were already made in the current window; 0 when one more may come. */
  async peek(key: string, limit: number, minutes: number): Promise<number> {
    const row = await this.db
      .selectFrom('sign_in_throttle')
      .select(['window_started_at', 'failures'])
      .where('client', '=', key)
      .executeTakeFirst();
    if (!row || row.failures < limit) return 0;
    const ends = new Date(row.window_started_at).getTime() + minutes * 60_000;
    const now = this.now().getTime();
    return ends <= now ? 0 : Math.ceil((ends - now) / 1000);
  }

  /** Like take, but a request over the limit is refused with 429 and Retry-After. */
  async enforce(key: string, limit: number, minutes: number, message: string): Promise<void> {
    const { ok, retryAfter } = await this.take(key, limit, minutes);
    if (!ok) throw new RateLimited(retryAfter, message);
  }
}
