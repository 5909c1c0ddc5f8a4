// Bad receipts (issue 15 "The kit", negative cases): with --listen the kit receives a letter from the
// target and answers its first attempt 201 with a receipt that is wrong in exactly one way. A sender
// MUST NOT record such a letter as delivered (PROTOCOL.md §6.3); what it does instead is the table
// of §7.2 "Receipts that fail": `failed` at once when the receipt fails for what is in it (the same
// receipt comes back on every retry, §7.1), retried when the failure depends on what the sender holds.
// One row per bad receipt, in §6.3 step order (house style: a named table, like receive/steps.ts).
import { randomUUID } from 'node:crypto'
import type { EnvelopeProfile, ReceiptClaims, SignerIdentity } from '../crypto/profiles.js'
import { signCompact } from '../crypto/jose/jws.js'
import { V1 } from '../crypto/jose/v1-header.js'
import { signCms } from '../crypto/cms/signed-data.js'
import { OID_CT_SARABAN_RECEIPT } from '../crypto/cms/oids.js'
import { sha256Hex } from './session.js'

/** What the kit knows when it answers the target's first attempt. */
export interface ReceiptContext {
  readonly profile: EnvelopeProfile
  /** the claims of a good receipt for this attempt (§6.2) */
  readonly claims: ReceiptClaims
  /** the letter's signed sentAt (§5.4), or the attempt's time when the envelope does not open */
  readonly sentAt: string
  /** the kit's agency (the recipient) and the second agency of the credentials */
  readonly me: SignerIdentity
  readonly second: SignerIdentity | undefined
}

export interface BadReceipt {
  /** the § whose rule the receipt breaks, and the §6.3 step */
  readonly step: string
  readonly title: string
  /** PROTOCOL.md §7.2 "Receipts that fail": what the target must do */
  readonly outcome: 'failed' | 'retried'
  /** the row signs with the second agency of the credentials (second/) */
  readonly needsSecond?: true
  /** the answer's body and Content-Type */
  make(c: ReceiptContext): { body: Buffer; mediaType: string }
}

const HOUR = 3_600_000
const isCms = (p: EnvelopeProfile) => p.receiptMediaType === 'application/cms'

/** Signs any payload bytes as a receipt of the profile's family (§6.2, §12.6): the claims need not be well-formed. */
function signRaw(p: EnvelopeProfile, payload: Buffer, signer: SignerIdentity, receivedAt: string): Buffer {
  if (isCms(p)) return signCms(OID_CT_SARABAN_RECEIPT, payload, signer, { signingTime: new Date(Date.parse(receivedAt) || Date.now()) }).der
  return signCompact(V1.receiptTyp, payload, signer)
}

const json = (o: Record<string, unknown>) => Buffer.from(JSON.stringify(o), 'utf8')

function signed(c: ReceiptContext, claims: Record<string, unknown>, signer = c.me): { body: Buffer; mediaType: string } {
  return { body: signRaw(c.profile, json(claims), signer, String(claims['receivedAt'])), mediaType: c.profile.receiptMediaType }
}

/** A good receipt whose signature value has one bit changed (jose: a character inside the signature part). */
function badSignature(c: ReceiptContext): Buffer {
  if (isCms(c.profile)) {
    const { der, signature } = signCms(OID_CT_SARABAN_RECEIPT, json({ ...c.claims }), c.me, { signingTime: new Date(c.claims.receivedAt) })
    const at = der.indexOf(signature)
    const out = Buffer.from(der)
    out[at + Math.floor(signature.length / 2)]! ^= 0x01
    return out
  }
  const jws = signRaw(c.profile, json({ ...c.claims }), c.me, c.claims.receivedAt).toString('latin1')
  const dot = jws.lastIndexOf('.')
  const i = dot + 1 + Math.floor((jws.length - dot - 1) / 2)
  const ch = jws[i] === 'A' ? 'B' : 'A'
  return Buffer.from(jws.slice(0, i) + ch + jws.slice(i + 1), 'latin1')
}

export const BAD_RECEIPTS: readonly BadReceipt[] = [
  { step: '§6.3 step 0', title: 'a good receipt under another media type', outcome: 'failed',
    make: (c) => ({ ...signed(c, { ...c.claims }), mediaType: 'application/json' }) },
  { step: '§6.3 step 1', title: 'a receipt that is not a receipt (malformed JWS or DER)', outcome: 'failed',
    make: (c) => ({ body: isCms(c.profile) ? Buffer.from([0x30, 0x03, 0x02, 0x01, 0x01]) : Buffer.from('not.a.receipt'), mediaType: c.profile.receiptMediaType }) },
  { step: '§6.3 step 1', title: 'a signed receipt whose claims are not JSON', outcome: 'failed',
    make: (c) => ({ body: signRaw(c.profile, Buffer.from(JSON.stringify(c.claims).slice(0, -1), 'utf8'), c.me, c.claims.receivedAt), mediaType: c.profile.receiptMediaType }) },
  { step: '§6.3 step 1', title: 'a receipt with a claim named twice (§5.6, I-JSON)', outcome: 'failed',
    make: (c) => {
      const text = JSON.stringify(c.claims).replace(/^\{/, `{"mid":${JSON.stringify(c.claims.mid)},`)
      return { body: signRaw(c.profile, Buffer.from(text, 'utf8'), c.me, c.claims.receivedAt), mediaType: c.profile.receiptMediaType }
    } },
  { step: '§6.3 step 1', title: 'a receipt whose signature does not verify', outcome: 'failed',
    make: (c) => ({ body: badSignature(c), mediaType: c.profile.receiptMediaType }) },
  { step: '§6.3 step 1', title: 'a receipt with a claim added (§6.2: a receipt is closed)', outcome: 'failed',
    make: (c) => signed(c, { ...c.claims, note: 'extra' }) },
  { step: '§6.3 step 1', title: 'a receipt with a claim missing (no profile)', outcome: 'failed',
    make: (c) => { const { profile: _drop, ...rest } = c.claims; return signed(c, rest) } },
  { step: '§6.3 step 2', title: 'a receipt for another message id', outcome: 'failed',
    make: (c) => signed(c, { ...c.claims, mid: randomUUID() }) },
  { step: '§6.3 step 2', title: 'a receipt for other bytes (another envelopeSha256)', outcome: 'failed',
    make: (c) => signed(c, { ...c.claims, envelopeSha256: sha256Hex(Buffer.from(`other bytes than ${c.claims.envelopeSha256}`)) }) },
  { step: '§6.3 step 3', title: 'a receipt dated an hour before the letter\'s sentAt', outcome: 'failed',
    make: (c) => signed(c, { ...c.claims, receivedAt: new Date(Date.parse(c.sentAt) - HOUR).toISOString() }) },
  { step: '§6.3 step 3', title: 'a receipt dated an hour ahead of the sender\'s clock', outcome: 'retried',
    make: (c) => signed(c, { ...c.claims, receivedAt: new Date(Date.now() + HOUR).toISOString() }) },
  { step: '§6.3 step 4', title: 'a receipt signed by another agency\'s signing certificate', outcome: 'retried', needsSecond: true,
    make: (c) => {
      if (c.second === undefined) throw new Error('no second agency in the credentials')
      return signed(c, { ...c.claims }, c.second)
    } },
]
