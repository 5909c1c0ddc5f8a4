// The recipient's `message.received` entry rebuilt from a receipt's claims alone (PROTOCOL.md §20.3,
// log-design.md §3): the very builder the appender uses for a stored letter, given the claims as its
// row, so the bytes are the appended bytes by construction.
import type { ReceiptClaims } from '../../crypto/types.js'
import { buildEntry, entryBytes, LEAVES } from './leaves.js'

const RECEIVED = LEAVES.find((l) => l.type === 'message.received' && l.source === 'inbox-message')!

export function receivedEntry(c: Pick<ReceiptClaims, 'mid' | 'from' | 'to' | 'profile' | 'envelopeSha256' | 'receivedAt'>): Buffer {
  const row = { agency: c.to, at: Date.parse(c.receivedAt), mid: c.mid, from: c.from, to: c.to, profile: c.profile, envelopeSha256: c.envelopeSha256 }
  return entryBytes(buildEntry(RECEIVED, row))
}
