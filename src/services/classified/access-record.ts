// The per-agency access record (บันทึกการเข้าถึง; PROTOCOL.md §19.7): one entry per submission,
// delivery, receipt, download, opening acknowledgement, forwarding, export, destruction, and per
// refused attempt, with what NIST SP 800-53 AU-3 asks of an audit record (what, when, where, source,
// outcome, identity) and what the paper access record holds (person, position, copy, authority).
// Never the subject or any content: the node does not know them. Each entry is a canonical JSON
// record (RFC 8785) stored with its SHA-256, append only, so that a transparency log can take it as a leaf.
import type { Clock } from '../../clock.js'
import { isoTime } from '../../clock.js'
import type { ErrorCode } from '../../errors.js'
import type { Db } from '../../storage/db.js'
import type { ClassifiedStore } from '../../storage/classified.js'
import { canonicalJson } from '../../domain/canonical-json.js'
import { sha256Hex } from './statement.js'
import type { RuleName } from './rules.js'

export type AccessEvent =
  | 'submission' | 'delivery' | 'receipt' | 'download' | 'view' | 'acknowledgement' | 'opened-notice'
  | 'forwarding' | 'export' | 'destruction' | 'by-hand-dispatch' | 'by-hand-received' | 'plaintext-send' | 'inspection-report'

export interface OfficerRef {
  readonly agency: string
  readonly officer: string
  /** registrar | deputy (the directory's role of the officer) */
  readonly role: string
  readonly certSha256: string
}

/** What the caller knows of an entry; the record adds v, at and node. */
export interface AccessInput {
  readonly agency: string
  readonly event: AccessEvent
  readonly outcome: 'success' | 'refused'
  readonly rule: RuleName
  readonly itemId?: string | undefined
  readonly controlNumber?: string | undefined
  readonly messageId?: string | undefined
  readonly peerAgency?: string | undefined
  readonly copy?: { readonly number: number; readonly of: number } | undefined
  readonly officer?: OfficerRef | undefined
  /** two-person acts: the second officer (a second release, a second destruction signature) */
  readonly secondApprover?: OfficerRef | undefined
  readonly authority?: string | undefined
  readonly apiKey?: string | undefined
  /** the client's network address (API) or the TLS peer (federation) */
  readonly client?: string | undefined
  readonly code?: ErrorCode | undefined
  readonly innerSha256?: string | undefined
}

export interface AccessEntry extends AccessInput {
  readonly v: 1
  readonly seq: number
  readonly at: string
  readonly node: string
  readonly recordSha256: string
}

export class AccessRecord {
  constructor(private readonly d: { db: Db; store: ClassifiedStore; clock: Clock; node: string }) {}

  /** Appends inside the caller's db.write() (the act and its entry commit together). */
  append(e: AccessInput): void {
    const at = this.d.clock.now()
    const record = canonicalJson({ v: 1, at: isoTime(at), node: this.d.node, ...e } as never)
    this.d.store.appendAccess(e.agency, e.itemId ?? null, at, record, sha256Hex(Buffer.from(record, 'utf8')))
  }

  /** A refused attempt, in a transaction of its own (the act itself stored nothing). */
  async refused(e: Omit<AccessInput, 'outcome'>): Promise<void> {
    await this.d.db.write(() => this.append({ ...e, outcome: 'refused' }))
  }

  forItem(itemId: string): AccessEntry[] {
    return this.d.store.access(itemId).map(parse)
  }

  between(agency: string, from: number, to: number): AccessEntry[] {
    return this.d.store.accessBetween(agency, from, to).map(parse)
  }
}

function parse(r: { seq: number; record: string; recordSha256: string }): AccessEntry {
  return { ...(JSON.parse(r.record) as Omit<AccessEntry, 'seq' | 'recordSha256'>), seq: r.seq, recordSha256: r.recordSha256 }
}
