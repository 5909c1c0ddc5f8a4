// Sample letters and identities for jose-v1 tests, interop tests and the vector generator.
import { createHash, randomUUID, type KeyObject } from 'node:crypto'
import type { FederationMaterial } from '../../src/pki/dev-ca.js'
import type { LetterObject, SealInput, SealManyInput, SignerIdentity } from '../../src/crypto/profiles.js'

export function sha256Hex(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex')
}

/** A letter from `from` to `to` (Thai fields) whose manifest describes `attachments`. */
export function sampleLetter(from: string, to: string, attachments: readonly Buffer[]): LetterObject & Record<string, unknown> {
  return {
    kind: 'EXTERNAL',
    number: 'มท 0201.2/ว 1590',
    date: '2026-11-25',
    subject: 'ขอเชิญประชุมคณะทำงานพัฒนาระบบสารบรรณอิเล็กทรอนิกส์',
    salutation: 'เรียน ปลัดกระทรวงการคลัง',
    sender: { agency: from, name: 'กระทรวงมหาดไทย' },
    recipients: [{ agency: to, title: 'ปลัดกระทรวงการคลัง' }],
    body: 'ด้วยกระทรวงมหาดไทยจะจัดประชุม ๒๕ พฤศจิกายน ๒๕๖๙ — "quotes", \\ backslash, emoji 📨, NUL-free.',
    closing: 'ขอแสดงความนับถือ',
    signer: { name: 'นายสมชาย ใจดี', position: 'รองปลัดกระทรวงมหาดไทย', actingFor: { capacity: 'ON_BEHALF', position: 'ปลัดกระทรวงมหาดไทย' } },
    urgency: 'URGENT',
    secrecy: 'UNCLASSIFIED',
    attachments: attachments.map((b, i) => ({
      id: `att-${i + 1}`,
      filename: i === 0 ? 'หนังสือเชิญประชุม.pdf' : `ไฟล์แนบ-${i + 1}.bin`,
      mediaType: i === 0 ? 'application/pdf' : 'application/octet-stream',
      size: b.length,
      sha256: sha256Hex(b),
    })),
  }
}

export function signerOf(fed: FederationMaterial, agency: string): SignerIdentity<KeyObject> {
  const s = fed.agencies[agency]!.signing
  return { agency, key: s.key, chain: s.chain }
}

export function sealInput(
  fed: FederationMaterial, from: string, to: string, attachments: Buffer[],
  over: Partial<SealInput> = {},
): SealInput {
  return {
    messageId: randomUUID(),
    from,
    to,
    // Fixed for the vectors; a running node checks it against its clock (PROTOCOL.md §5.4), so tests give now.
    sentAt: '2026-11-25T03:04:05.678Z',
    letter: sampleLetter(from, to, attachments),
    attachments,
    signer: signerOf(fed, from),
    recipientCert: fed.agencies[to]!.encryption.cert,
    ...over,
  }
}

/** Deterministic pseudo-random bytes (so vectors and tests are reproducible). */
export function bytesOf(n: number, seed = 1): Buffer {
  const out = Buffer.allocUnsafe(n)
  let block = Buffer.alloc(0)
  let counter = 0
  for (let at = 0; at < n; at += block.length) {
    block = createHash('sha256').update(`${seed}:${counter++}`).digest()
    block.copy(out, at, 0, Math.min(block.length, n - at))
  }
  return out
}

/** A circular from `from` to `recipients` (and `copyTo`), sealed for all of them at once (PROTOCOL.md §17). */
export function sealManyInput(
  fed: FederationMaterial, from: string, recipients: readonly string[], attachments: Buffer[], opts: { copyTo?: readonly string[]; letterId?: string; sentAt?: string } = {},
): SealManyInput {
  const to = [...recipients, ...(opts.copyTo ?? [])]
  const letter = {
    ...sampleLetter(from, recipients[0]!, attachments),
    recipients: recipients.map((agency) => ({ agency, title: `หัวหน้าส่วนราชการ ${agency}` })),
    ...(opts.copyTo ? { copyTo: opts.copyTo.map((agency) => ({ agency })) } : {}),
  }
  return {
    letterId: opts.letterId ?? randomUUID(),
    from,
    // Fixed for the vectors; a running node checks it against its clock (PROTOCOL.md §5.4), so tests give now.
    sentAt: opts.sentAt ?? '2026-11-25T03:04:05.678Z',
    letter,
    attachments,
    signer: signerOf(fed, from),
    recipients: to.map((a) => ({ messageId: randomUUID(), to: a, cert: fed.agencies[a]!.encryption.cert })),
  }
}
