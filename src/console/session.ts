// Console sessions (issue 17 item 2): server-side, with an idle and an absolute expiry; in the database
// (migration 044, issue 19 item 2), so that every process of a node knows them.
// The cookie carries only a random id; the session holds the digest of the API key it was opened
// with, so that every request asks the key table again (a key removed on SIGHUP or from a hosted-agency
// file stops working at once) and the key's agencies apply to everything shown. Each session has a
// synchroniser token that every POST must carry in a hidden field (OWASP CSRF cheat sheet).
// A session before login (the login form's) carries a token too, so the login POST is checked as well.
import { randomBytes, timingSafeEqual, createHash } from 'node:crypto'
import type { Db } from '../storage/db.js'
import { ConsoleSessionStore } from '../storage/console-sessions.js'

export interface Session {
  readonly id: string
  readonly csrf: string
  /** SHA-256 hex of the API key; absent before login. */
  readonly keySha256?: string
  readonly createdAt: number
  lastSeenAt: number
}

export interface SessionSettings {
  readonly idleMs: number
  readonly absoluteMs: number
  /** A login form left unused this long expires (its session holds no key). */
  readonly anonymousMs: number
  /** Most sessions held; the least recently used goes first beyond it. */
  readonly max: number
}

export const SESSION_DEFAULTS: SessionSettings = { idleMs: 30 * 60_000, absoluteMs: 8 * 3_600_000, anonymousMs: 15 * 60_000, max: 5000 }

const token = () => randomBytes(32).toString('base64url')

/** How stale a session's last use may be recorded (at most a quarter of its idle time): a request
 *  within this of the last recorded use writes nothing, so most console pages cost no commit. */
export const TOUCH_MS = 30_000

export class Sessions {
  readonly #db: Db
  readonly #store: ConsoleSessionStore

  constructor(db: Db, readonly settings: SessionSettings = SESSION_DEFAULTS) {
    this.#db = db
    this.#store = new ConsoleSessionStore(db)
  }

  async open(now: number, keySha256?: string): Promise<Session> {
    const s: Session = { id: token(), csrf: token(), createdAt: now, lastSeenAt: now, ...(keySha256 ? { keySha256 } : {}) }
    // Beyond the cap, login forms go first (least recently used), so that a flood of them never
    // pushes out a signed-in operator; signed-in sessions only when no login form is left.
    await this.#db.write(() => {
      this.#store.insert({ idSha256: digest(s.id), csrf: s.csrf, keySha256: keySha256 ?? null, createdAt: now, lastSeenAt: now })
      this.#store.evictBeyond(this.settings.max)
    })
    return s
  }

  /** The live session with this id, touched; undefined when unknown or expired (then deleted). */
  async get(id: string | undefined, now: number): Promise<Session | undefined> {
    if (!id) return undefined
    const k = digest(id)
    const r = this.#store.get(k)
    if (!r) return undefined
    const idle = r.keySha256 ? this.settings.idleMs : this.settings.anonymousMs
    if (now - r.lastSeenAt > idle || now - r.createdAt > this.settings.absoluteMs) {
      await this.#db.write(() => this.#store.remove(k))
      return undefined
    }
    if (now - r.lastSeenAt >= Math.min(TOUCH_MS, idle / 4)) await this.#db.write(() => this.#store.touch(k, now))
    return { id, csrf: r.csrf, createdAt: r.createdAt, lastSeenAt: now, ...(r.keySha256 ? { keySha256: r.keySha256 } : {}) }
  }

  /** A session for rendering one answer only (an error page): never stored, its token never accepted. */
  transient(now: number): Session {
    return { id: '', csrf: token(), createdAt: now, lastSeenAt: now }
  }

  async close(id: string): Promise<void> {
    if (id) await this.#db.write(() => this.#store.remove(digest(id)))
  }

  get size(): number { return this.#store.count() }
}

export function csrfMatches(s: Session, given: unknown): boolean {
  if (typeof given !== 'string') return false
  const a = Buffer.from(s.csrf)
  const b = Buffer.from(given)
  return a.length === b.length && timingSafeEqual(a, b)
}

function digest(id: string): string {
  return createHash('sha256').update(id).digest('base64url')
}
