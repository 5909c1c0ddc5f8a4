// Events for saraban systems (issue 5 §6) and their webhook deliveries. insert() and the delivery rows
// are synchronous and meant for the caller's Db.write fn (the event exists iff its change does); reads
// run outside transactions and therefore see committed rows only (one connection, synchronous batches).
import type Database from 'better-sqlite3'
import type { Db } from './db.js'

export interface NewEvent {
  readonly agency: string
  readonly type: string
  readonly letterId?: string | undefined
  readonly messageId?: string | undefined
  /** JSON text of the event's small facts. */
  readonly dataJson: string
  readonly at: number
}

export interface StoredEvent extends NewEvent {
  readonly id: number
}

export interface EventQuery {
  readonly agencies: readonly string[]
  /** Only ids greater than this. */
  readonly afterId: number
  readonly types?: readonly string[] | undefined
  readonly limit: number
}

/** pending → delivered | failed (tried: maxAttempts, 410) | abandoned (never to be sent: its endpoint
 *  was removed from the configuration, or no longer takes its agency or type; last_error says which). */
export type WebhookState = 'pending' | 'delivered' | 'failed' | 'abandoned'

/** Why pending deliveries were abandoned (README "Notifications"; shown as lastError). */
export const ABANDONED = {
  removed: 'endpoint removed from configuration',
  agency: 'the endpoint no longer takes events of this agency',
  type: 'the endpoint no longer takes events of this type',
} as const

export interface WebhookDelivery {
  readonly eventId: number
  readonly endpoint: string
  readonly agency: string
  readonly state: WebhookState
  readonly attempts: number
  readonly nextAttemptAt: number
  readonly lastAttemptAt: number | null
  readonly lastStatus: number | null
  readonly lastError: string | null
  readonly deliveredAt: number | null
  readonly abandonedAt: number | null
  readonly createdAt: number
  readonly type: string
}

export interface AttemptOutcome {
  readonly eventId: number
  readonly endpoint: string
  readonly at: number
  readonly status: number | null
  readonly error: string | null
  /** delivered, or pending again at nextAttemptAt, or failed for good. */
  readonly state: WebhookState
  readonly nextAttemptAt: number
  /** The claim the attempt ran under (migration 042): its process, and the attempts counted when it was claimed. */
  readonly claim: WebhookClaim
}

/** Who claimed a webhook delivery, and its attempt count then: the outcome is recorded only under it. */
export interface WebhookClaim {
  readonly owner: string
  readonly attempts: number
}

type Stmt<R = unknown> = Database.Statement<unknown[], R>
const EVENT = 'id, agency, type, letter_id AS letterId, message_id AS messageId, data_json AS dataJson, at'
const DELIVERY = `d.event_id AS eventId, d.endpoint, d.agency, d.state, d.attempts, d.next_attempt_at AS nextAttemptAt,
  d.last_attempt_at AS lastAttemptAt, d.last_status AS lastStatus, d.last_error AS lastError, d.delivered_at AS deliveredAt,
  d.abandoned_at AS abandonedAt, d.created_at AS createdAt, e.type`

interface EventRow { id: number; agency: string; type: string; letterId: string | null; messageId: string | null; dataJson: string; at: number }

const toEvent = (r: EventRow): StoredEvent => ({
  id: r.id, agency: r.agency, type: r.type, dataJson: r.dataJson, at: r.at,
  ...(r.letterId !== null ? { letterId: r.letterId } : {}),
  ...(r.messageId !== null ? { messageId: r.messageId } : {}),
})

export class EventStore {
  readonly #db: Db
  /** Statements whose shape depends on the number of agencies/types, prepared once per shape. */
  readonly #shaped = new Map<string, Stmt>()
  readonly #s: {
    insert: Stmt
    maxId: Stmt<{ id: number | null }>
    pruned: Stmt<{ id: number }>
    delivery: Stmt
    due: Stmt<WebhookDelivery>
    nextDue: Stmt<{ at: number | null }>
    orphans: Stmt
    notAgency: Stmt
    notType: Stmt
    retarget: Stmt
    claim: Stmt
    release: Stmt
    outcome: Stmt
    eventById: Stmt<EventRow>
    counts: Stmt<{ state: WebhookState; n: number }>
  }

  constructor(db: Db) {
    this.#db = db
    const p = <R = unknown>(sql: string): Stmt<R> => db.sqlite.prepare(sql) as Stmt<R>
    this.#s = {
      insert: p<number>(`INSERT INTO events (agency, type, letter_id, message_id, data_json, at) VALUES (@agency, @type, @letterId, @messageId, @dataJson, @at) RETURNING id`).pluck(),
      maxId: p(`SELECT MAX(id) AS id FROM events`),
      pruned: p(`SELECT through_id AS id FROM events_pruned WHERE one = 1`),
      delivery: p(`INSERT INTO webhook_deliveries (event_id, endpoint, agency, state, next_attempt_at, created_at) VALUES (?, ?, ?, 'pending', ?, ?)`),
      due: p(`SELECT ${DELIVERY} FROM webhook_deliveries d JOIN events e ON e.id = d.event_id
        WHERE d.endpoint = ? AND d.state = 'pending' AND d.next_attempt_at <= ? ORDER BY d.next_attempt_at, d.event_id LIMIT ?`),
      nextDue: p(`SELECT MIN(next_attempt_at) AS at FROM webhook_deliveries WHERE state = 'pending' AND endpoint IN (SELECT value FROM json_each(?))`),
      orphans: p(`UPDATE webhook_deliveries SET state = 'abandoned', last_error = @error, abandoned_at = @at
        WHERE state = 'pending' AND endpoint NOT IN (SELECT value FROM json_each(@names))`),
      notAgency: p(`UPDATE webhook_deliveries SET state = 'abandoned', last_error = @error, abandoned_at = @at
        WHERE state = 'pending' AND endpoint = @name AND agency NOT IN (SELECT value FROM json_each(@list))`),
      notType: p(`UPDATE webhook_deliveries SET state = 'abandoned', last_error = @error, abandoned_at = @at
        WHERE state = 'pending' AND endpoint = @name AND event_id IN (SELECT id FROM events WHERE type NOT IN (SELECT value FROM json_each(@list)))`),
      // A claimed row (its attempt running) keeps its claim: the attempt goes to the old URL and is recorded.
      retarget: p(`UPDATE webhook_deliveries SET next_attempt_at = MIN(next_attempt_at, @at) WHERE state = 'pending' AND endpoint = @name
        AND claimed_by IS NULL`),
      claim: p(`UPDATE webhook_deliveries SET claimed_by = @owner, next_attempt_at = @until
        WHERE event_id = @eventId AND endpoint = @endpoint AND state = 'pending' AND next_attempt_at <= @now AND attempts = @attempts`),
      // At start: a process's own claims from before (its attempts ended with it) are due at once.
      release: p(`UPDATE webhook_deliveries SET claimed_by = NULL, next_attempt_at = MIN(next_attempt_at, @now)
        WHERE state = 'pending' AND claimed_by = @owner`),
      outcome: p(`UPDATE webhook_deliveries SET attempts = attempts + 1, last_attempt_at = @at, last_status = @status, last_error = @error,
        state = @state, next_attempt_at = @nextAttemptAt, delivered_at = CASE WHEN @state = 'delivered' THEN @at ELSE NULL END, claimed_by = NULL
        WHERE event_id = @eventId AND endpoint = @endpoint AND state = 'pending' AND claimed_by = @owner AND attempts = @attempts`),
      eventById: p(`SELECT ${EVENT} FROM events WHERE id = ?`),
      counts: p(`SELECT state, COUNT(*) AS n FROM webhook_deliveries GROUP BY state`),
    }
  }

  /** Inside a Db.write fn. Returns the new event's id. */
  insert(e: NewEvent): number {
    return Number(this.#s.insert.get({ agency: e.agency, type: e.type, letterId: e.letterId ?? null, messageId: e.messageId ?? null, dataJson: e.dataJson, at: e.at }))
  }

  /** Inside the same Db.write fn as insert(): the event is due at `at` for this webhook endpoint. */
  addDelivery(eventId: number, endpoint: string, agency: string, at: number): void {
    this.#s.delivery.run(eventId, endpoint, agency, at, at)
  }

  /** The newest id, 0 when there is none yet. */
  maxId(): number {
    return this.#s.maxId.get()?.id ?? 0
  }

  /** The highest id this database ever gave an event (pruned or not), 0 when none. */
  lastIssuedId(): number {
    // PostgreSQL: the identity's sequence (which also counts ids of events whose write rolled back).
    const r = this.#db.sqlite.prepare(this.#db.engine === 'sqlite'
      ? `SELECT seq FROM sqlite_sequence WHERE name = 'events'`
      : `SELECT coalesce(pg_sequence_last_value(pg_get_serial_sequence('events', 'id')::regclass), 0) AS seq`).get() as { seq: number } | undefined
    return r?.seq ?? 0
  }

  /** The highest id pruned by retention (0: nothing was). A client resuming below it missed events. */
  prunedThrough(): number {
    return this.#s.pruned.get()?.id ?? 0
  }

  /** Events after an id, oldest first, for some agencies (and types). */
  after(q: EventQuery): StoredEvent[] {
    if (q.agencies.length === 0) return []
    const params: unknown[] = [q.afterId, ...q.agencies]
    let sql = `SELECT ${EVENT} FROM events WHERE id > ? AND agency IN (${q.agencies.map(() => '?').join(', ')})`
    if (q.types && q.types.length > 0) {
      sql += ` AND type IN (${q.types.map(() => '?').join(', ')})`
      params.push(...q.types)
    }
    sql += ' ORDER BY id LIMIT ?'
    params.push(q.limit)
    return (this.#prepared(sql).all(...params) as EventRow[]).map(toEvent)
  }

  #prepared(sql: string): Stmt {
    let st = this.#shaped.get(sql)
    if (!st) {
      if (this.#shaped.size >= 256) this.#shaped.clear() // many distinct shapes: keep the cache small
      st = this.#db.sqlite.prepare(sql) as Stmt
      this.#shaped.set(sql, st)
    }
    return st
  }

  get(id: number): StoredEvent | undefined {
    const r = this.#s.eventById.get(id)
    return r ? toEvent(r) : undefined
  }

  /** One endpoint's pending deliveries due at `now`, the longest-waiting first. */
  due(endpoint: string, now: number, limit: number): WebhookDelivery[] {
    return this.#s.due.all(endpoint, now, limit)
  }

  /** When the next pending delivery to one of these endpoints is due (ms), undefined when none is pending. */
  nextDue(endpoints: readonly string[]): number | undefined {
    return this.#s.nextDue.get(JSON.stringify(endpoints))?.at ?? undefined
  }

  /** Inside a Db.write fn: pending deliveries that their endpoint will never be sent are abandoned,
   *  with the reason (ABANDONED): those of endpoints not configured, and of agencies or types that a
   *  configured endpoint no longer takes. Returns how many. */
  abandon(configured: ReadonlyArray<{ name: string; agencies?: ReadonlySet<string> | undefined; types?: ReadonlySet<string> | undefined }>, at: number): number {
    let n = this.#s.orphans.run({ names: JSON.stringify(configured.map((e) => e.name)), at, error: ABANDONED.removed }).changes
    for (const e of configured) {
      if (e.agencies) n += this.#s.notAgency.run({ name: e.name, list: JSON.stringify([...e.agencies]), at, error: ABANDONED.agency }).changes
      if (e.types) n += this.#s.notType.run({ name: e.name, list: JSON.stringify([...e.types]), at, error: ABANDONED.type }).changes
    }
    return n
  }

  /** Inside a Db.write fn: an endpoint's URL or secret changed; its pending deliveries are due now. */
  retarget(endpoint: string, at: number): number {
    return this.#s.retarget.run({ name: endpoint, at }).changes
  }

  /** Inside a Db.write fn: takes a due delivery (as due() read it) for one attempt, until `until`
   *  (migration 042); false when it is no longer due as read (another process claimed or sent it). */
  claim(d: Pick<WebhookDelivery, 'eventId' | 'endpoint' | 'attempts'>, owner: string, now: number, until: number): boolean {
    return this.#s.claim.run({ eventId: d.eventId, endpoint: d.endpoint, attempts: d.attempts, owner, now, until }).changes === 1
  }

  /** Inside a Db.write fn, at start: this process's claims left by its earlier life are due now. Returns how many. */
  releaseClaims(owner: string, now: number): number {
    return this.#s.release.run({ owner, now }).changes
  }

  /** Inside a Db.write fn: records one attempt, under its claim; false when the claim is no longer
   *  held (it ran out and another process took the delivery, or the delivery was abandoned). */
  recordAttempt(o: AttemptOutcome): boolean {
    const { claim, ...rest } = o
    return this.#s.outcome.run({ ...rest, owner: claim.owner, attempts: claim.attempts }).changes === 1
  }

  /** Newest first, for the agencies given; `beforeId` pages. */
  deliveries(q: { agencies: readonly string[]; state?: WebhookState | undefined; beforeId?: number | undefined; limit: number }): WebhookDelivery[] {
    if (q.agencies.length === 0) return []
    const params: unknown[] = [...q.agencies]
    let sql = `SELECT ${DELIVERY} FROM webhook_deliveries d JOIN events e ON e.id = d.event_id WHERE d.agency IN (${q.agencies.map(() => '?').join(', ')})`
    if (q.state) {
      sql += ' AND d.state = ?'
      params.push(q.state)
    }
    if (q.beforeId !== undefined) {
      sql += ' AND d.event_id < ?'
      params.push(q.beforeId)
    }
    sql += ' ORDER BY d.event_id DESC, d.endpoint LIMIT ?'
    params.push(q.limit)
    return this.#prepared(sql).all(...params) as WebhookDelivery[]
  }

  deliveryCounts(): Record<WebhookState, number> {
    const out: Record<WebhookState, number> = { pending: 0, delivered: 0, failed: 0, abandoned: 0 }
    for (const r of this.#s.counts.all()) out[r.state] = r.n
    return out
  }

  /** Inside a Db.write fn: removes events older than `before` (and, by cascade, their deliveries),
   *  at most `limit` per call so that one transaction stays short. Returns how many went. */
  prune(before: number, limit: number): number {
    const s = this.#db.sqlite
    const top = s.prepare(`SELECT MAX(id) AS id FROM (SELECT id FROM events WHERE at < ? ORDER BY id LIMIT ?) AS oldest`).get(before, limit) as { id: number | null }
    if (top.id === null) return 0
    const r = s.prepare(`DELETE FROM events WHERE id <= ? AND at < ?`).run(top.id, before)
    s.prepare(`INSERT INTO events_pruned (one, through_id) VALUES (1, ?) ON CONFLICT (one) DO UPDATE SET through_id = MAX(through_id, excluded.through_id)`).run(top.id)
    return r.changes
  }
}
