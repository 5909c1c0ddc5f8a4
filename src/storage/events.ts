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

export type WebhookState = 'pending' | 'delivered' | 'failed'

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
}

type Stmt<R = unknown> = Database.Statement<unknown[], R>
const EVENT = 'id, agency, type, letter_id AS letterId, message_id AS messageId, data_json AS dataJson, at'
const DELIVERY = `d.event_id AS eventId, d.endpoint, d.agency, d.state, d.attempts, d.next_attempt_at AS nextAttemptAt,
  d.last_attempt_at AS lastAttemptAt, d.last_status AS lastStatus, d.last_error AS lastError, d.delivered_at AS deliveredAt,
  d.created_at AS createdAt, e.type`

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
    outcome: Stmt
    eventById: Stmt<EventRow>
    counts: Stmt<{ state: WebhookState; n: number }>
  }

  constructor(db: Db) {
    this.#db = db
    const p = <R = unknown>(sql: string): Stmt<R> => db.sqlite.prepare(sql) as Stmt<R>
    this.#s = {
      insert: p(`INSERT INTO events (agency, type, letter_id, message_id, data_json, at) VALUES (@agency, @type, @letterId, @messageId, @dataJson, @at)`),
      maxId: p(`SELECT MAX(id) AS id FROM events`),
      pruned: p(`SELECT through_id AS id FROM events_pruned WHERE one = 1`),
      delivery: p(`INSERT INTO webhook_deliveries (event_id, endpoint, agency, state, next_attempt_at, created_at) VALUES (?, ?, ?, 'pending', ?, ?)`),
      due: p(`SELECT ${DELIVERY} FROM webhook_deliveries d JOIN events e ON e.id = d.event_id
        WHERE d.endpoint = ? AND d.state = 'pending' AND d.next_attempt_at <= ? ORDER BY d.next_attempt_at, d.event_id LIMIT ?`),
      nextDue: p(`SELECT MIN(next_attempt_at) AS at FROM webhook_deliveries WHERE state = 'pending'`),
      orphans: p(`UPDATE webhook_deliveries SET state = 'failed', last_error = @error, last_attempt_at = @at
        WHERE state = 'pending' AND endpoint NOT IN (SELECT value FROM json_each(@names))`),
      outcome: p(`UPDATE webhook_deliveries SET attempts = attempts + 1, last_attempt_at = @at, last_status = @status, last_error = @error,
        state = @state, next_attempt_at = @nextAttemptAt, delivered_at = CASE WHEN @state = 'delivered' THEN @at ELSE NULL END
        WHERE event_id = @eventId AND endpoint = @endpoint AND state = 'pending'`),
      eventById: p(`SELECT ${EVENT} FROM events WHERE id = ?`),
      counts: p(`SELECT state, COUNT(*) AS n FROM webhook_deliveries GROUP BY state`),
    }
  }

  /** Inside a Db.write fn. Returns the new event's id. */
  insert(e: NewEvent): number {
    const r = this.#s.insert.run({ agency: e.agency, type: e.type, letterId: e.letterId ?? null, messageId: e.messageId ?? null, dataJson: e.dataJson, at: e.at })
    return Number(r.lastInsertRowid)
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
    const r = this.#db.sqlite.prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'events'`).get() as { seq: number } | undefined
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

  /** When the next pending delivery is due (ms), undefined when none is pending. */
  nextDue(): number | undefined {
    return this.#s.nextDue.get()?.at ?? undefined
  }

  /** Inside a Db.write fn: pending deliveries to endpoints no longer configured fail, with a reason. */
  failOrphans(configured: readonly string[], at: number, error: string): number {
    return this.#s.orphans.run({ names: JSON.stringify(configured), at, error }).changes
  }

  /** Inside a Db.write fn: records one attempt. */
  recordAttempt(o: AttemptOutcome): void {
    this.#s.outcome.run({ ...o })
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
    const out: Record<WebhookState, number> = { pending: 0, delivered: 0, failed: 0 }
    for (const r of this.#s.counts.all()) out[r.state] = r.n
    return out
  }

  /** Inside a Db.write fn: removes events older than `before` (and, by cascade, their deliveries),
   *  at most `limit` per call so that one transaction stays short. Returns how many went. */
  prune(before: number, limit: number): number {
    const s = this.#db.sqlite
    const top = s.prepare(`SELECT MAX(id) AS id FROM (SELECT id FROM events WHERE at < ? ORDER BY id LIMIT ?)`).get(before, limit) as { id: number | null }
    if (top.id === null) return 0
    const r = s.prepare(`DELETE FROM events WHERE id <= ? AND at < ?`).run(top.id, before)
    s.prepare(`INSERT INTO events_pruned (one, through_id) VALUES (1, ?) ON CONFLICT (one) DO UPDATE SET through_id = MAX(through_id, excluded.through_id)`).run(top.id)
    return r.changes
  }
}
