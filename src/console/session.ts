// Console sessions (issue 17 item 2): server-side, in memory, with an idle and an absolute expiry.
// The cookie carries only a random id; the session holds the digest of the API key it was opened
// with, so that every request asks the key table again (a key removed on SIGHUP or from a hosted-agency
// file stops working at once) and the key's agencies apply to everything shown. Each session has a
// synchroniser token that every POST must carry in a hidden field (OWASP CSRF cheat sheet).
// A session before login (the login form's) carries a token too, so the login POST is checked as well.
import { randomBytes, timingSafeEqual, createHash } from 'node:crypto'

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

export class Sessions {
  // Keyed by the digest of the id: a timing leak in Map lookup reveals nothing usable.
  readonly #byId = new Map<string, Session>()
  constructor(readonly settings: SessionSettings = SESSION_DEFAULTS) {}

  open(now: number, keySha256?: string): Session {
    const s: Session = { id: token(), csrf: token(), createdAt: now, lastSeenAt: now, ...(keySha256 ? { keySha256 } : {}) }
    this.#byId.set(digest(s.id), s)
    // Beyond the cap, login forms go first (least recently used), so that a flood of them never
    // pushes out a signed-in operator; signed-in sessions only when no login form is left.
    while (this.#byId.size > this.settings.max) {
      let victim: string | undefined
      for (const [k, v] of this.#byId) if (!v.keySha256) { victim = k; break }
      this.#byId.delete(victim ?? this.#byId.keys().next().value!)
    }
    return s
  }

  /** The live session with this id, touched; undefined when unknown or expired (then forgotten). */
  get(id: string | undefined, now: number): Session | undefined {
    if (!id) return undefined
    const k = digest(id)
    const s = this.#byId.get(k)
    if (!s) return undefined
    const idle = s.keySha256 ? this.settings.idleMs : this.settings.anonymousMs
    if (now - s.lastSeenAt > idle || now - s.createdAt > this.settings.absoluteMs) {
      this.#byId.delete(k)
      return undefined
    }
    s.lastSeenAt = now
    // most recently used last: the eviction above takes the oldest
    this.#byId.delete(k)
    this.#byId.set(k, s)
    return s
  }

  /** A session for rendering one answer only (an error page): never stored, its token never accepted. */
  transient(now: number): Session {
    return { id: '', csrf: token(), createdAt: now, lastSeenAt: now }
  }

  close(id: string): void {
    this.#byId.delete(digest(id))
  }

  get size(): number { return this.#byId.size }
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
