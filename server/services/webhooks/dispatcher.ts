// Delivers webhooks from the events outbox: reads each enabled endpoint's new events (after its cursor) into one
// delivery per endpoint and matching event, claims due deliveries (a conditional update with a lease, after
// `for update skip locked` on PostgreSQL, so several processes never send the same one at once), POSTs them signed,
// and retries failures on the Standard Webhooks schedule for at least three days. It runs in the background: a slow
// or dead endpoint holds a few of its own connections and nothing else.
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { sql } from 'kysely';
import type { Dialect } from '../../db/dialect.js';
import type { Db } from '../../db/index.js';
import { AddressRefused, pinAddress, type Resolver, systemResolver } from './addresses.js';
import { deliveryBody, webhookId } from './endpoints.js';
import { signatureHeader } from './signing.js';

/** Seconds to wait after the 1st, 2nd... failure (Standard Webhooks), then every 12 hours. */
export const RETRY_SCHEDULE_S = [5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600];
const THEN_EVERY_S = 12 * 3600;
/** A delivery that has failed for this long (from its first attempt) is given up. */
export const GIVE_UP_AFTER_MS = 3 * 24 * 3600 * 1000;
/** The longest Retry-After honoured: a receiver cannot park a delivery for ever. */
const MAX_RETRY_AFTER_S = 24 * 3600;
const JITTER = 0.2;

/** Deliveries in flight at once, in all, and to any one endpoint. */
const PARALLEL = 64;
const PER_ENDPOINT = 16;
/** Claimed deliveries a process holds (in flight or waiting for a slot), in all and for any one endpoint. */
const HOLD = 1024;
const HOLD_PER_ENDPOINT = 4 * PER_ENDPOINT;
const CLAIM_BATCH = 256;
/** The longest a round goes without looking for due deliveries while attempts are in flight. */
const CLAIM_EVERY_MS = 100;
/**
 * Delivered attempts are written together: up to this many a statement, at most this long after the first. One
 * statement per delivery cost PostgreSQL and the serving process more than signing and sending it did.
 */
const DELIVERED_BATCH = 200;
const DELIVERED_WAIT_MS = 20;
const EVENTS_BATCH = 1000;
/** A full round (new events, due retries, changes made by other processes) at least this often. */
const POLL_MS = 1_000;
/**
 * How often the outbox is asked whether an endpoint is behind it: a committed change goes out within this time.
 * Asking is one indexed query (nothing at all to read when no endpoint is on), so it can be frequent. A kick after
 * each commit would need a hook in every service that writes events, and on PostgreSQL a kick from inside the
 * change's transaction would look before the commit and find nothing; this question sees every committed event,
 * whichever process or service wrote it.
 */
const LOOK_MS = 200;
/**
 * How long an endpoint's row (URL, secrets, enabled) is reused between attempts: a stream of deliveries costs no
 * lookup each, and a change made in another process is seen within this time.
 */
const ENDPOINT_MEMORY_MS = 1_000;
/** What of a failed answer's body is kept as the error an admin reads. */
const KEEP_BODY = 300;

/** Milliseconds before the next attempt after `failures` failed attempts, with ±20% jitter. */
export function retryDelayMs(failures: number, random: () => number = Math.random): number {
  const seconds = RETRY_SCHEDULE_S[failures - 1] ?? THEN_EVERY_S;
  return Math.round(seconds * 1000 * (1 - JITTER + 2 * JITTER * random()));
}

/** Retry-After as seconds from now (delay-seconds or an HTTP-date, RFC 9110 10.2.3); null when absent or unreadable. */
export function retryAfterSeconds(value: string | null | undefined, now: Date): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Math.min(Number(trimmed), MAX_RETRY_AFTER_S);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return null;
  return Math.min(Math.max(0, Math.ceil((at - now.getTime()) / 1000)), MAX_RETRY_AFTER_S);
}

interface Attempt {
  status: number | null;
  error: string | null;
  retryAfter: string | null;
}

type Claimed = {
  id: number;
  account_id: number;
  endpoint_id: number;
  body: string;
  attempts: number;
  first_attempt_at: string | null;
};

type Target = {
  id: number;
  url: string;
  enabled: number;
  secret: string;
  previous_secret: string | null;
  previous_secret_until: string | null;
  failing_since: string | null;
};

export interface DispatcherOptions {
  /** How long an endpoint may take to answer (headers and body) before the attempt fails. */
  timeoutMs: number;
  allowInternal: boolean;
  resolve?: Resolver;
  /** Called in the transaction that disables an endpoint (the admins' mail goes out with it). */
  onDisabled?: (trx: Db, endpoint: { id: number; accountId: number; url: string; reason: string }) => Promise<void>;
  /** Called after that transaction has committed (to start the mail sender). */
  afterDisabled?: () => void;
}

export class WebhookDispatcher {
  private timer: NodeJS.Timeout | null = null;
  private looker: NodeJS.Timeout | null = null;
  private looking: Promise<void> | null = null;
  private running: Promise<number> | null = null;
  private again = false;
  private wake: (() => void) | null = null;
  private stopped = false;
  private readonly inFlight = new Map<number, Promise<void>>();
  /** Deliveries the endpoint accepted, not written yet (still leased to this process, so no other sends them). */
  private delivered: { id: number; attempts: number; firstAttemptAt: string; at: string; status: number }[] = [];
  private deliveredTimer: NodeJS.Timeout | null = null;
  private writingDelivered: Promise<void> = Promise.resolve();
  /** Claimed deliveries waiting for a slot, by endpoint. */
  private readonly waiting = new Map<number, Claimed[]>();
  private waitingCount = 0;
  /** Deliveries in flight, by endpoint. */
  private readonly perEndpoint = new Map<number, number>();
  private readonly endpoints = new Map<number, { row: Target | undefined; until: number }>();
  /** Endpoints the last claim left deliveries of for want of room. */
  private leftOut = new Set<number>();
  // Sockets are pooled by host and port, which endpoints may share: the pool allows every slot, and the limit per
  // endpoint is this dispatcher's (a slow endpoint must not take the sockets of another on the same host).
  private readonly agents = {
    http: new http.Agent({ keepAlive: true, maxSockets: PARALLEL, maxFreeSockets: PER_ENDPOINT }),
    https: new https.Agent({ keepAlive: true, maxSockets: PARALLEL, maxFreeSockets: PER_ENDPOINT }),
  };
  /** How host names are resolved (tests give a fixed table). */
  resolve: Resolver;

  constructor(
    private readonly db: Db,
    private readonly dialect: Dialect,
    private readonly now: () => Date,
    private readonly options: DispatcherOptions,
  ) {
    this.resolve = options.resolve ?? systemResolver;
  }

  /** Polls the outbox until stopped: new events, from this process or another, go out within LOOK_MS. */
  async start(): Promise<void> {
    if (this.timer) return;
    this.stopped = false;
    this.timer = setInterval(() => this.kick(), POLL_MS);
    this.timer.unref();
    this.looker = setInterval(() => this.look(), LOOK_MS);
    this.looker.unref();
    this.kick();
  }

  /** Starts a round when an endpoint is behind the outbox (one question at a time). */
  private look(): void {
    if (this.looking || this.stopped) return;
    this.looking = this.behind()
      .limit(1)
      .executeTakeFirst()
      .then((endpoint) => {
        if (endpoint && !this.stopped) this.kick();
      })
      .catch((error: Error) => console.error(`[roster] webhook outbox look failed: ${error.message}`))
      .finally(() => {
        this.looking = null;
      });
  }

  /** Enabled endpoints whose cursor is behind their account's last event. */
  private behind() {
    return this.db
      .selectFrom('webhook_endpoints as w')
      .select(['w.id', 'w.account_id', 'w.event_types_json', 'w.last_event_id'])
      .where('w.enabled', '=', 1)
      .where('w.last_event_id', '<', (eb) =>
        eb
          .selectFrom('events')
          .select(sql<number>`coalesce(max(events.id), 0)`.as('last'))
          .whereRef('events.account_id', '=', 'w.account_id'),
      );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.looker) clearInterval(this.looker);
    this.timer = null;
    this.looker = null;
    this.wake?.();
    await this.looking;
    await this.running?.catch(() => 0);
    await Promise.allSettled([...this.inFlight.values()]);
    await this.writeDelivered();
    await this.releaseWaiting();
    this.agents.http.destroy();
    this.agents.https.destroy();
  }

  /** Starts a round now; a round in progress looks for new work at once. */
  kick(): void {
    if (this.running) {
      this.again = true;
      this.wake?.();
      return;
    }
    this.running = this.deliverDue()
      .catch((error: Error) => {
        console.error(`[roster] webhook delivery round failed: ${error.message}`);
        return 0;
      })
      .finally(() => {
        this.running = null;
        if (this.again && !this.stopped) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Waits for the round in progress, then delivers whatever is due (tests, and a clean shutdown). */
  async flush(): Promise<number> {
    while (this.running) await this.running;
    return this.deliverDue();
  }

  /**
   * Reads new events into deliveries and sends every due delivery, claiming more as attempts finish; returns when
   * nothing is due, waiting or in flight. Returns how many attempts were made.
   */
  async deliverDue(): Promise<number> {
    let attempts = 0;
    let claimNext = true;
    let lastClaim = 0;
    await this.fanOut();
    for (;;) {
      let claimed = 0;
      let limited = false;
      if (claimNext && !this.stopped && this.waitingCount + this.inFlight.size < HOLD) {
        const batch = await this.claim();
        lastClaim = performance.now();
        claimNext = false;
        limited = batch.limited;
        claimed = batch.rows.length;
        for (const row of batch.rows) {
          const list = this.waiting.get(row.endpoint_id) ?? [];
          list.push(row);
          this.waiting.set(row.endpoint_id, list);
          this.waitingCount++;
        }
      }
      attempts += this.startWaiting();
      if (this.stopped && this.inFlight.size === 0) {
        await this.writeDelivered();
        return attempts;
      }
      // More may be due: claim again while there is room (a full batch, or endpoints left out for being busy).
      if ((claimed === CLAIM_BATCH || (limited && claimed > 0)) && this.waitingCount + this.inFlight.size < HOLD) {
        claimNext = true;
        continue;
      }
      if (this.inFlight.size === 0 && this.waitingCount === 0) {
        if (!limited) {
          await this.writeDelivered();
          return attempts;
        }
        claimNext = true;
        continue;
      }
      // Wait for a slot to free, or for new work (kick); then look again.
      await Promise.race([
        ...this.inFlight.values(),
        new Promise<void>((woken) => {
          this.wake = woken;
        }),
      ]);
      this.wake = null;
      if (this.again) {
        this.again = false;
        await this.fanOut();
        claimNext = true;
      }
      // A claim reads the due deliveries: it runs when an endpoint that had more is down to half its hold, and now
      // and then for the others, not each time an attempt ends.
      if (
        [...this.leftOut].some((id) => this.held(id) <= HOLD_PER_ENDPOINT / 2) ||
        performance.now() - lastClaim >= CLAIM_EVERY_MS
      ) {
        claimNext = true;
      }
    }
  }

  /** Deliveries of the endpoint this process holds: waiting for a slot or in flight. */
  private held(endpointId: number): number {
    return (this.waiting.get(endpointId)?.length ?? 0) + (this.perEndpoint.get(endpointId) ?? 0);
  }

  /** Starts waiting deliveries while slots are free (PARALLEL in all, PER_ENDPOINT per endpoint). */
  private startWaiting(): number {
    let started = 0;
    for (const [endpointId, list] of this.waiting) {
      while (
        list.length > 0 &&
        this.inFlight.size < PARALLEL &&
        (this.perEndpoint.get(endpointId) ?? 0) < PER_ENDPOINT
      ) {
        const delivery = list.shift() as Claimed;
        this.waitingCount--;
        started++;
        this.perEndpoint.set(endpointId, (this.perEndpoint.get(endpointId) ?? 0) + 1);
        const done = this.attempt(delivery)
          .catch((error: Error) => console.error(`[roster] webhook delivery ${delivery.id} failed: ${error.message}`))
          .finally(() => {
            this.inFlight.delete(delivery.id);
            const left = (this.perEndpoint.get(endpointId) ?? 1) - 1;
            if (left > 0) this.perEndpoint.set(endpointId, left);
            else this.perEndpoint.delete(endpointId);
          });
        this.inFlight.set(delivery.id, done);
      }
      if (list.length === 0) this.waiting.delete(endpointId);
      if (this.inFlight.size >= PARALLEL) break;
    }
    return started;
  }

  /** Gives claimed deliveries that never started back to every process (stopping). */
  private async releaseWaiting(): Promise<void> {
    const ids = [...this.waiting.values()].flat().map((row) => row.id);
    this.waiting.clear();
    this.waitingCount = 0;
    for (let i = 0; i < ids.length; i += 500) {
      await this.db
        .updateTable('webhook_deliveries')
        .set({ claimed_until: null })
        .where('id', 'in', ids.slice(i, i + 500))
        .execute();
    }
  }

  /** New events of each enabled endpoint's account become deliveries, once each (the unique index sees to it). */
  async fanOut(): Promise<void> {
    const behind = await this.behind().execute();
    for (const endpoint of behind) {
      const types = new Set(JSON.parse(endpoint.event_types_json) as string[]);
      for (let after = endpoint.last_event_id; ; ) {
        const events = await this.db
          .selectFrom('events')
          .selectAll()
          .where('account_id', '=', endpoint.account_id)
          .where('id', '>', after)
          .orderBy('id')
          .limit(EVENTS_BATCH)
          .execute();
        if (events.length === 0) break;
        const last = (events[events.length - 1] as { id: number }).id;
        const at = this.now().toISOString();
        const rows = events
          .filter((event) => types.has(event.type))
          .map((event) => ({
            account_id: endpoint.account_id,
            endpoint_id: endpoint.id,
            event_id: event.id,
            event_type: event.type,
            body: eventBody(event),
            status: 'pending' as const,
            next_attempt_at: at,
            created_at: at,
          }));
        const moved = await this.db.transaction().execute(async (trx) => {
          for (let i = 0; i < rows.length; i += 200) {
            await trx
              .insertInto('webhook_deliveries')
              .values(rows.slice(i, i + 200))
              .onConflict((oc) => oc.columns(['endpoint_id', 'event_id']).doNothing())
              .execute();
          }
          // Another process that read the same events first has moved the cursor: its deliveries stand.
          const updated = await trx
            .updateTable('webhook_endpoints')
            .set({ last_event_id: last })
            .where('id', '=', endpoint.id)
            .where('last_event_id', '=', after)
            .executeTakeFirst();
          return Number(updated.numUpdatedRows) === 1;
        });
        if (!moved || events.length < EVENTS_BATCH) break;
        after = last;
      }
    }
  }

  /**
   * Claims due deliveries of enabled endpoints, no more per endpoint than this process holds room for; `limited` says
   * some were left for being over that.
   */
  private async claim(): Promise<{ rows: Claimed[]; limited: boolean }> {
    const room = Math.min(CLAIM_BATCH, HOLD - this.waitingCount - this.inFlight.size);
    if (room <= 0) return { rows: [], limited: true };
    const now = this.now();
    const at = now.toISOString();
    const held = (endpointId: number) => this.held(endpointId);
    // An endpoint holding more than half its share is not topped up yet: claims come in batches.
    const full = [...new Set([...this.waiting.keys(), ...this.perEndpoint.keys()])].filter(
      (id) => held(id) > HOLD_PER_ENDPOINT / 2,
    );
    // Long enough for the deliveries held here to wait their turn behind a slow endpoint and be sent.
    const lease = new Date(
      now.getTime() + this.options.timeoutMs * (HOLD_PER_ENDPOINT / PER_ENDPOINT + 2) + 60_000,
    ).toISOString();
    return this.db.transaction().execute(async (trx) => {
      let due = trx
        .selectFrom('webhook_deliveries as d')
        .innerJoin('webhook_endpoints as w', 'w.id', 'd.endpoint_id')
        .select(['d.id', 'd.endpoint_id'])
        .where('d.status', '=', 'pending')
        .where('d.next_attempt_at', '<=', at)
        .where((eb) => eb.or([eb('d.claimed_until', 'is', null), eb('d.claimed_until', '<', at)]))
        .where('w.enabled', '=', 1)
        .orderBy('d.next_attempt_at')
        .orderBy('d.id')
        .limit(room);
      if (full.length > 0) due = due.where('d.endpoint_id', 'not in', full);
      // Rows another process is claiming right now are skipped, not waited for.
      if (this.dialect === 'postgres') due = due.forUpdate('d').skipLocked();
      const candidates = await due.execute();
      const taken = new Map<number, number>();
      const ids: number[] = [];
      this.leftOut = new Set(full);
      for (const row of candidates) {
        const n = held(row.endpoint_id) + (taken.get(row.endpoint_id) ?? 0);
        if (n >= HOLD_PER_ENDPOINT) {
          this.leftOut.add(row.endpoint_id);
          continue;
        }
        taken.set(row.endpoint_id, (taken.get(row.endpoint_id) ?? 0) + 1);
        ids.push(row.id);
      }
      const limited = this.leftOut.size > 0;
      if (ids.length === 0) return { rows: [], limited };
      const rows = await trx
        .updateTable('webhook_deliveries')
        .set({ claimed_until: lease })
        .where('id', 'in', ids)
        .where('status', '=', 'pending')
        .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', at)]))
        .returning(['id', 'account_id', 'endpoint_id', 'body', 'attempts', 'first_attempt_at'])
        .execute();
      // One endpoint's deliveries go out oldest first.
      rows.sort((a, b) => a.id - b.id);
      return { rows, limited };
    });
  }

  /** Forgets what this process remembers of an endpoint (it was changed here). */
  forget(endpointId: number): void {
    this.endpoints.delete(endpointId);
  }

  private async endpoint(id: number): Promise<Target | undefined> {
    const known = this.endpoints.get(id);
    if (known && known.until > performance.now()) return known.row;
    const row = await this.db
      .selectFrom('webhook_endpoints')
      .select(['id', 'url', 'enabled', 'secret', 'previous_secret', 'previous_secret_until', 'failing_since'])
      .where('id', '=', id)
      .executeTakeFirst();
    if (this.endpoints.size > 10_000) this.endpoints.clear();
    this.endpoints.set(id, { row, until: performance.now() + ENDPOINT_MEMORY_MS });
    return row;
  }

  private async attempt(delivery: Claimed): Promise<void> {
    const endpoint = await this.endpoint(delivery.endpoint_id);
    if (endpoint?.enabled !== 1) {
      // Claimed as enabled, remembered as off: the next look reads the row again.
      this.forget(delivery.endpoint_id);
      await this.release(delivery.id);
      return;
    }
    const result = await this.send(endpoint, delivery);
    const now = this.now();
    const attempts = delivery.attempts + 1;
    const common = {
      attempts,
      claimed_until: null,
      first_attempt_at: delivery.first_attempt_at ?? now.toISOString(),
      last_attempt_at: now.toISOString(),
      last_status: result.status,
      last_error: result.error,
    };
    if (result.status !== null && result.status >= 200 && result.status < 300) {
      this.markDelivered({
        id: delivery.id,
        attempts,
        firstAttemptAt: common.first_attempt_at,
        at: common.last_attempt_at,
        status: result.status,
      });
      if (endpoint.failing_since) {
        endpoint.failing_since = null;
        await this.db
          .updateTable('webhook_endpoints')
          .set({ failing_since: null })
          .where('id', '=', endpoint.id)
          .execute();
      }
      return;
    }
    if (result.status === 410) {
      await this.db
        .updateTable('webhook_deliveries')
        .set({ ...common, status: 'failed' })
        .where('id', '=', delivery.id)
        .execute();
      await this.disable(endpoint, delivery.account_id, 'The endpoint answered 410 Gone');
      return;
    }
    const firstAt = new Date(common.first_attempt_at);
    const givenUp = now.getTime() - firstAt.getTime() >= GIVE_UP_AFTER_MS;
    const waitMs = Math.max(retryDelayMs(attempts), (retryAfterSeconds(result.retryAfter, now) ?? 0) * 1000);
    await this.db
      .updateTable('webhook_deliveries')
      .set({
        ...common,
        status: givenUp ? 'failed' : 'pending',
        next_attempt_at: new Date(now.getTime() + waitMs).toISOString(),
      })
      .where('id', '=', delivery.id)
      .execute();
    if (!endpoint.failing_since) {
      endpoint.failing_since = common.first_attempt_at;
      await this.db
        .updateTable('webhook_endpoints')
        .set({ failing_since: common.first_attempt_at })
        .where('id', '=', endpoint.id)
        .where('failing_since', 'is', null)
        .execute();
    }
    const failingSince = new Date(endpoint.failing_since ?? common.first_attempt_at);
    if (givenUp && now.getTime() - failingSince.getTime() >= GIVE_UP_AFTER_MS) {
      await this.disable(endpoint, delivery.account_id, 'Every delivery failed for three days');
    }
  }

  private markDelivered(row: (typeof this.delivered)[number]) {
    this.delivered.push(row);
    if (this.delivered.length >= DELIVERED_BATCH) void this.writeDelivered();
    else this.deliveredTimer ??= setTimeout(() => void this.writeDelivered(), DELIVERED_WAIT_MS);
  }

  /**
   * Writes the delivered attempts held so far, after those being written. A write that fails is logged: those
   * deliveries' leases run out and they are sent again (at least once).
   */
  private writeDelivered(): Promise<void> {
    if (this.deliveredTimer) clearTimeout(this.deliveredTimer);
    this.deliveredTimer = null;
    const rows = this.delivered.splice(0);
    if (rows.length === 0) return this.writingDelivered;
    this.writingDelivered = this.writingDelivered
      .then(() => this.storeDelivered(rows))
      .catch((error: Error) => console.error(`[roster] webhook deliveries not marked delivered: ${error.message}`));
    return this.writingDelivered;
  }

  private async storeDelivered(rows: typeof this.delivered): Promise<void> {
    const column = <T>(pick: (row: (typeof rows)[number]) => T) => rows.map(pick);
    if (this.dialect === 'postgres') {
      await sql`update webhook_deliveries d set status = 'delivered', attempts = t.attempts, claimed_until = null,
          first_attempt_at = t.first_at, last_attempt_at = t.at, delivered_at = t.at, last_status = t.status,
          last_error = null
        from unnest(cast(${column((r) => r.id)} as integer[]), cast(${column((r) => r.attempts)} as integer[]),
          cast(${column((r) => r.firstAttemptAt)} as timestamptz[]), cast(${column((r) => r.at)} as timestamptz[]),
          cast(${column((r) => r.status)} as integer[])) as t(id, attempts, first_at, at, status)
        where d.id = t.id`.execute(this.db);
      return;
    }
    await sql`update webhook_deliveries set status = 'delivered', attempts = t.value ->> 1, claimed_until = null,
        first_attempt_at = t.value ->> 2, last_attempt_at = t.value ->> 3, delivered_at = t.value ->> 3,
        last_status = t.value ->> 4, last_error = null
      from json_each(${JSON.stringify(rows.map((r) => [r.id, r.attempts, r.firstAttemptAt, r.at, r.status]))}) as t
      where webhook_deliveries.id = t.value ->> 0`.execute(this.db);
  }

  private async release(id: number) {
    await this.db.updateTable('webhook_deliveries').set({ claimed_until: null }).where('id', '=', id).execute();
  }

  /** Turns the endpoint off (its deliveries wait) and tells the account's admins, once. */
  private async disable(endpoint: Target, accountId: number, reason: string) {
    this.forget(endpoint.id);
    const done = await this.db.transaction().execute(async (trx) => {
      const turnedOff = await trx
        .updateTable('webhook_endpoints')
        .set({ enabled: 0, disabled_reason: reason, updated_at: this.now().toISOString() })
        .where('id', '=', endpoint.id)
        .where('enabled', '=', 1)
        .executeTakeFirst();
      if (Number(turnedOff.numUpdatedRows) !== 1) return false;
      await this.options.onDisabled?.(trx, { id: endpoint.id, accountId, url: endpoint.url, reason });
      return true;
    });
    if (done) this.options.afterDisabled?.();
  }

  /** One POST of the delivery, signed with every secret in use; never throws. */
  private async send(endpoint: Target, delivery: Claimed): Promise<Attempt> {
    const url = new URL(endpoint.url);
    const timestamp = Math.floor(this.now().getTime() / 1000);
    const id = webhookId(delivery.id);
    const secrets = [endpoint.secret];
    if (
      endpoint.previous_secret &&
      endpoint.previous_secret_until &&
      new Date(endpoint.previous_secret_until) > this.now()
    ) {
      secrets.push(endpoint.previous_secret);
    }
    let pinned: { address: string; family: 4 | 6 };
    try {
      pinned = await pinAddress(url.hostname, this.options.allowInternal, this.resolve);
    } catch (error) {
      const message =
        error instanceof AddressRefused ? error.message : `${url.hostname} could not be resolved (${codeOf(error)})`;
      return { status: null, error: message, retryAfter: null };
    }
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'Roster-Webhooks/1',
      'webhook-id': id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signatureHeader(secrets, id, timestamp, delivery.body),
    };
    return this.post(url, pinned, headers, delivery.body);
  }

  private post(
    url: URL,
    pinned: { address: string; family: 4 | 6 },
    headers: Record<string, string>,
    body: string,
  ): Promise<Attempt> {
    const secure = url.protocol === 'https:';
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const timeoutMs = this.options.timeoutMs;
    // The connection goes to the address that was checked, whatever the name resolves to now.
    const lookup: LookupFunction = (_name, options, callback) => {
      if (options.all) (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [pinned]);
      else callback(null, pinned.address, pinned.family);
    };
    return new Promise<Attempt>((resolve) => {
      let settled = false;
      const finish = (attempt: Attempt) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(attempt);
      };
      const request = (secure ? https : http).request(
        {
          method: 'POST',
          protocol: url.protocol,
          hostname: host,
          port: url.port || (secure ? 443 : 80),
          path: `${url.pathname}${url.search}`,
          headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
          agent: secure ? this.agents.https : this.agents.http,
          lookup,
          ...(secure && !isIP(host) ? { servername: host } : {}),
        },
        (response) => {
          const status = response.statusCode ?? 0;
          const kept: Buffer[] = [];
          let size = 0;
          response.on('data', (chunk: Buffer) => {
            if (size < KEEP_BODY) kept.push(chunk);
            size += chunk.length;
          });
          response.on('error', (error) => finish({ status: null, error: describe(error), retryAfter: null }));
          response.on('end', () => {
            const ok = status >= 200 && status < 300;
            const text = Buffer.concat(kept).toString('utf8').slice(0, KEEP_BODY).trim();
            finish({
              status,
              error: ok ? null : `HTTP ${status}${text ? `: ${text}` : ''}`,
              retryAfter: ok ? null : (response.headers['retry-after'] ?? null),
            });
          });
        },
      );
      const timer = setTimeout(() => {
        finish({ status: null, error: `No answer within ${timeoutMs / 1000} s`, retryAfter: null });
        request.destroy();
      }, timeoutMs);
      request.on('error', (error) => finish({ status: null, error: describe(error), retryAfter: null }));
      // Small requests go out at once (Nagle's algorithm would hold them behind the last one's acknowledgement).
      request.on('socket', (socket) => socket.setNoDelay(true));
      request.end(body);
    });
  }
}

/** The body of an outbox event's delivery: the user and the user's sequence number come from the event's row. */
function eventBody(event: {
  id: number;
  type: string;
  payload_json: string;
  created_at: string;
  user_id: number | null;
  user_seq: number | null;
}): string {
  const payload = JSON.parse(event.payload_json) as Record<string, unknown>;
  return deliveryBody(event.type, event.created_at, {
    eventId: event.id,
    userId: event.user_id,
    sequence: event.user_seq,
    ...payload,
  });
}

const codeOf = (error: unknown) => (error as { code?: string }).code ?? (error as Error).message;

function describe(error: unknown): string {
  const code = (error as { code?: string }).code;
  if (code === 'ECONNREFUSED') return 'The endpoint refused the connection';
  if (code === 'ECONNRESET') return 'The endpoint closed the connection';
  if (code === 'ENOTFOUND') return 'The host name does not resolve';
  if (code?.startsWith('ERR_TLS') || code === 'CERT_HAS_EXPIRED' || code === 'DEPTH_ZERO_SELF_SIGNED_CERT')
    return `The endpoint's TLS certificate was refused (${code})`;
  return ((error as Error).message ?? String(error)).slice(0, 300);
}
