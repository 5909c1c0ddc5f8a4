// The notices about a letter's envelopes, as the evidence bundle takes them (PROTOCOL.md §18.6):
// withdrawals we sealed (envelope, content key and the recipient's receipt, from the outbox) and
// answers we received (envelope, the signed notice as it was inside, and our receipt); each with the
// time-stamps this node holds for its signature and its receipt (PROTOCOL.md §13.2: side outbox for a
// notice we sent, inbox for one we received).
import type { OutboxStore } from '../../storage/outbox.js'
import type { NoticeStore } from '../../storage/notices.js'
import { receiptFromText, type Opened } from '../../crypto/profiles.js'
import { evidenceForm } from '../../evidence/forms.js'
import type { NoticeEvidence, StoredToken } from '../evidence/build.js'
import type { StampSide } from '../../storage/timestamps.js'
import type { ReceivedLog } from '../evidence/received-log.js'
import type { MessageLog } from '../evidence/log-parts.js'
import { storedReceiptClaims } from '../log/receipt-claims.js'

export interface NoticeEvidenceDeps {
  readonly notices: NoticeStore
  readonly outbox: OutboxStore
  readonly tokensFor?: (messageId: string, side: StampSide) => readonly StoredToken[]
  /** The recipient's inclusion proof of the notice's receipt (PROTOCOL.md §20.7); absent without a log. */
  readonly receivedLog?: ReceivedLog | undefined
}

/** The recipient's log proof (or its gap) of a notice with this stored receipt text. */
function logOf(deps: NoticeEvidenceDeps, messageId: string, receipt: string | null): { log?: MessageLog } {
  if (!deps.receivedLog || !receipt) return {}
  try {
    return { log: deps.receivedLog(messageId, storedReceiptClaims(receipt)) }
  } catch {
    return {} // a receipt that does not read: the verifier reports the receipt itself
  }
}

export function noticeEvidence(deps: NoticeEvidenceDeps, messageIds: readonly string[]): NoticeEvidence[] {
  const out: NoticeEvidence[] = []
  for (const r of deps.notices.aboutAll(messageIds)) {
    const head = { messageId: r.messageId, type: r.type, about: r.refersTo, from: r.fromAgency, to: r.toAgency }
    if (r.direction === 'out') {
      const m = r.letterId === null ? undefined : deps.outbox.getMessage(r.messageId)
      if (!m) continue // recorded, not sealed yet: nothing was sent
      out.push({
        ...head, direction: 'sent', profile: m.profile, envelope: m.envelope, contentKey: m.contentKey, tokens: deps.tokensFor?.(r.messageId, 'outbox'),
        ...(m.receipt ? { receipt: receiptFromText(m.profile, m.receipt) } : {}),
        ...logOf(deps, r.messageId, m.receipt),
        sent: m, // PROTOCOL.md §20.7: its sending in our log, like a letter's
      })
    } else {
      const envelope = deps.notices.getEnvelope(r.messageId)
      const form = evidenceForm(r.profile!)
      if (!envelope || !form || r.signed === null) continue
      out.push({
        ...head, direction: 'received', profile: r.profile!, envelope,
        signed: form.letterBytes({ signedBytes: r.signed } as Opened), // the stored Opened.signedBytes
        tokens: deps.tokensFor?.(r.messageId, 'inbox'),
        ...(r.receipt ? { receipt: receiptFromText(r.profile!, r.receipt) } : {}),
        ...logOf(deps, r.messageId, r.receipt),
      })
    }
  }
  return out
}
