// The transparency log's entries (PROTOCOL.md §20.3), as a named table in the order of the protocol:
// what each entry type records, which rows it is built from (storage/log-rows.ts), which of its
// members identify it (so `log verify` can find the rows an entry covers), and how it is built.
// An entry is canonical JSON (RFC 8785) with `v`, `type`, `at`, `agency` and the type's members: ids
// and SHA-256 digests only, never subjects, names or content (log-design.md §3).
import { hash } from 'node:crypto'
import { isoTime } from '../../clock.js'
import { canonicalJson, type Canonical } from '../../domain/canonical-json.js'
import type { LogRow, SourceName } from '../../storage/log-rows.js'
import { storedReceiptClaims, storedReceiptSha256 } from './receipt-claims.js'

export type Members = { readonly [k: string]: Canonical | undefined }

export interface Built {
  readonly members: Members
  /** Overrides the row's `at` (RFC 3339 UTC ms), e.g. the receipt's receivedAt. */
  readonly at?: string
  /** Overrides the row's agency. */
  readonly agency?: string
}

export interface Leaf {
  readonly type: string
  readonly source: SourceName
  /** Members that identify the entry among those of its type (with `agency`). */
  readonly key: readonly string[]
  readonly build: (row: LogRow) => Built
  /** Members the current row can no longer give, because a later entry carries them (verify skips them). */
  readonly superseded?: (row: LogRow) => readonly string[]
}

export interface Entry {
  readonly v: 1
  readonly type: string
  readonly at: string
  readonly agency: string
  readonly [member: string]: Canonical | undefined
}

const sha256 = (s: string | Buffer): string => hash('sha256', s, 'hex')
const str = (v: unknown): string => (Buffer.isBuffer(v) ? v.toString('utf8') : String(v))
/** The UTF-8 bytes of a stored text (a record read as its stored bytes, storage/log-rows.ts, is hashed as it is:
 *  no decoding to a JS string and encoding back; SQLite keeps TEXT as UTF-8, so the digest is the same). */
const utf8 = (v: unknown): string | Buffer => (Buffer.isBuffer(v) ? v : String(v))
const opt = (v: unknown): string | undefined => (v === null || v === undefined ? undefined : String(v))
const int = (v: unknown): number => Number(v)

/** `message.received`: exactly the receipt's claims (log-design.md §3), so the sender rebuilds it. */
function received(row: LogRow): Built {
  const at = isoTime(row.at)
  return {
    at,
    members: { mid: str(row['mid']), from: str(row['from']), to: str(row['to']), profile: str(row['profile']), envelopeSha256: str(row['envelopeSha256']), receivedAt: at },
  }
}

/** `message.stored`: what the node keeps of a received message besides its envelope. */
function stored(row: LogRow): Built {
  return { members: { mid: str(row['mid']), recordSha256: sha256(utf8(row['record'])), receiptSha256: storedReceiptSha256(str(row['receipt'])) } }
}

/** A register entry's own text (ที่, ลงวันที่, จาก, ถึง, เรื่อง, การปฏิบัติ, หมายเหตุ) as one digest. */
function contentSha256(row: LogRow): string {
  // Register columns are TEXT (storage/log-rows.ts reads no BLOB here).
  const text = (k: string) => (row[k] ?? null) as string | number | null
  return sha256(canonicalJson({
    letterNumber: text('letterNumber'), letterDate: text('letterDate'), from: text('fromText'), to: text('toText'),
    subject: text('subject'), action: text('action'), remarks: text('remarks'),
  }))
}

const series = (row: LogRow): Members => ({ book: str(row['book']), year: int(row['year']), number: int(row['number']) })

export const LEAVES: readonly Leaf[] = [
  // §20.3.1 a message sealed and queued for one recipient (letters, notices, classified outer envelopes)
  {
    type: 'message.sent', source: 'outbox-message', key: ['mid'],
    build: (r) => ({ members: { mid: str(r['mid']), letter: str(r['letter']), to: str(r['to']), profile: str(r['profile']), envelopeSha256: str(r['envelopeSha256']), kind: str(r['kind']), letterSha256: sha256(utf8(r['letterJson'])) } }),
  },
  // §20.3.2 its receipt came back and verified
  {
    type: 'message.delivered', source: 'outbox-delivered', key: ['mid'],
    build: (r) => ({ members: { mid: str(r['mid']), to: str(r['to']), receiptSha256: storedReceiptSha256(str(r['receipt'])), receivedAt: storedReceiptClaims(str(r['receipt']), str(r['mid'])).receivedAt } }),
  },
  // §20.3.3 an envelope received and stored (its receipt signed): the four stores of inbound envelopes
  { type: 'message.received', source: 'inbox-message', key: ['mid'], build: received },
  { type: 'message.received', source: 'notice-in', key: ['mid'], build: received },
  { type: 'message.received', source: 'classified-in', key: ['mid'], build: received },
  {
    type: 'message.received', source: 'classified-statement-in', key: ['mid'],
    build: (r) => {
      // Its own row since migration 024 (the receipt is signed after this entry, §20.5); rows stored
      // before it give the same members from their receipt.
      if (r['profile'] !== null && r['profile'] !== undefined) return received({ ...r, to: r.agency })
      const c = storedReceiptClaims(str(r['receipt']))
      return { at: c.receivedAt, agency: c.to, members: { mid: str(r['mid']), from: c.from, to: c.to, profile: c.profile, envelopeSha256: str(r['envelopeSha256']), receivedAt: c.receivedAt } }
    },
  },
  // §20.3.4 what was kept of it: the letter / notice / cover / statement record and our receipt
  // A letter's receipt is signed once its entry is written (PROTOCOL.md §20.4, §20.5): what was kept is
  // recorded when the receipt is (migration 019's triggers), from the row with its receipt.
  { type: 'message.stored', source: 'inbox-receipt', key: ['mid'], build: stored },
  // So is every receipt's since migration 024 (notices, classified covers and statement notices).
  { type: 'message.stored', source: 'notice-receipt', key: ['mid'], build: stored },
  { type: 'message.stored', source: 'classified-receipt', key: ['mid'], build: stored },
  { type: 'message.stored', source: 'classified-statement-receipt', key: ['mid'], build: (r) => ({ ...stored(r), at: storedReceiptClaims(str(r['receipt'])).receivedAt }) },
  // §20.3.5 notices (PROTOCOL.md §18): the act recorded here, or received from the letter's other side
  {
    type: 'notice.sent', source: 'notice-out', key: ['mid'],
    build: (r) => ({ members: { mid: str(r['mid']), notice: str(r['notice']), about: str(r['about']), to: str(r['to']), noticeSha256: sha256(utf8(r['record'])) } }),
  },
  {
    type: 'notice.received', source: 'notice-in', key: ['mid'],
    build: (r) => ({ members: { mid: str(r['mid']), notice: str(r['notice']), about: str(r['about']), from: str(r['from']) } }),
  },
  // §20.3.6 register numbers (README "Registers"; the classified book of §19.8)
  {
    type: 'register.taken', source: 'register-entry', key: ['book', 'year', 'number'],
    build: (r) => ({ members: { ...series(r), mid: opt(r['mid']), contentSha256: contentSha256(r) } }),
    // a number linked to its letter later: the link's entry carries the text as completed then
    superseded: (r) => (r['letter'] === null ? [] : ['contentSha256']),
  },
  {
    type: 'register.taken', source: 'classified-item', key: ['book', 'year', 'number'],
    build: (r) => ({ members: { book: `classified-${str(r['direction'])}`, year: int(r['year']), number: int(r['number']), item: str(r['item']), controlNumber: str(r['controlNumber']), innerSha256: opt(r['innerSha256']) } }),
  },
  {
    type: 'register.linked', source: 'register-link', key: ['book', 'year', 'number'],
    build: (r) => ({ members: { ...series(r), letter: str(r['letter']), contentSha256: contentSha256(r) } }),
  },
  {
    type: 'register.cancelled', source: 'register-cancel', key: ['book', 'year', 'number'],
    build: (r) => ({ members: { ...series(r), reasonSha256: sha256(str(r['reason'] ?? '')) } }),
  },
  // §20.3.7 classified letters (PROTOCOL.md §19.7, §19.9)
  {
    type: 'classified.access', source: 'classified-access', key: ['seq'],
    build: (r) => ({ members: { seq: int(r['seq']), entrySha256: sha256(str(r['record'])) } }),
  },
  {
    type: 'classified.destroyed', source: 'classified-destroyed', key: ['item'],
    build: (r) => ({ members: { item: str(r['item']), innerSha256: opt(r['innerSha256']) } }),
  },
  {
    // an officer's statement made here (opened, destroyed, received by hand, release: §19.4), as signed
    type: 'classified.statement', source: 'classified-statement', key: ['statement'],
    build: (r) => ({ members: { statement: int(r['statement']), item: str(r['item']), kind: str(r['kind']), officer: `${str(r['officerAgency'])}/${str(r['officer'])}`, statementSha256: sha256(r['der'] as unknown as Buffer) } }),
  },
  // §20.3.8 keys taken into use by the agency (its signing key after a rollover, §16.4; its decryption keys)
  {
    type: 'key.in-use', source: 'key', key: ['role', 'certSha256'],
    build: (r) => ({ members: { role: str(r['role']), certSha256: str(r['certSha256']) } }),
  },
  // §20.3.9 trust taken into use, node-wide: in every hosted agency's log
  {
    type: 'trust.directory', source: 'directory', key: ['serial'],
    build: (r) => ({ members: { serial: int(r['serial']), sha256: str(r['payloadSha256']), jwsSha256: sha256(str(r['jws'])) } }),
  },
  {
    type: 'trust.crl', source: 'crl', key: ['issuer', 'crlNumber'],
    build: (r) => ({ members: { issuer: str(r['issuer']), crlNumber: str(r['crlNumber']), sha256: sha256(r['der'] as unknown as Buffer) } }),
  },
]

export const LEAF_TYPES: ReadonlySet<string> = new Set(LEAVES.map((l) => l.type))

const BY_SOURCE = new Map<SourceName, readonly Leaf[]>()
for (const l of LEAVES) BY_SOURCE.set(l.source, [...(BY_SOURCE.get(l.source) ?? []), l])

/** The leaves one row source gives, in table order (looked up once per pending change: issue 14 §6). */
export function leavesOf(source: SourceName): readonly Leaf[] {
  return BY_SOURCE.get(source) ?? []
}

/** The entry a leaf builds from a row for one agency's log (node-wide rows: the agency whose log it is). */
export function buildEntry(leaf: Leaf, row: LogRow, agency?: string): Entry {
  const b = leaf.build(row)
  const a = b.agency ?? row.agency ?? agency
  if (a === undefined || a === null) throw new Error(`log: entry ${leaf.type} needs an agency`)
  return { ...b.members, v: 1, type: leaf.type, at: b.at ?? isoTime(row.at), agency: a }
}

export function entryBytes(e: Entry): Buffer {
  return Buffer.from(canonicalJson(e as unknown as Canonical), 'utf8')
}

/** The identity of an entry among all entries of its log: type, agency and the leaf's key members. */
export function entryKey(type: string, key: readonly string[], e: { readonly [k: string]: unknown }): string {
  return JSON.stringify([type, e['agency'], ...key.map((k) => e[k] ?? null)])
}
