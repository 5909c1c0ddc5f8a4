// Shared by the evidence tests (not a test file itself): letters sealed and acknowledged for real
// with a profile, as the outbox would hold them, and a real RFC 3161 TSA run with `openssl ts`.
import { execFileSync } from 'node:child_process'
import { createHash, randomUUID, webcrypto, type X509Certificate } from 'node:crypto'
import * as x509 from '@peculiar/x509'
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FederationMaterial } from '../../src/pki/dev-ca.js'
import type { EnvelopeProfile, ReceiptClaims, ReceiptLog, SignerIdentity } from '../../src/crypto/types.js'
import { receiptText } from '../../src/crypto/profiles.js'
import type { OutboxLetter, OutboxMessage } from '../../src/storage/outbox.js'
import type { StoredToken } from '../../src/services/evidence/index.js'
import { tokenFacts } from '../../src/evidence/tst.js'
import { sampleLetter, signerOf } from '../vectors/fixtures.js'

export interface Sent {
  letter: OutboxLetter
  messages: OutboxMessage[]
  /** what a TSA stamped: SHA-256 of each signature, per message id */
  imprints: Map<string, { letter: Buffer; receipt?: Buffer }>
}

export async function sendAndAcknowledge(opts: {
  fed: FederationMaterial
  /** one profile for all, or per recipient (a sender uses the first the recipient accepts) */
  profile: EnvelopeProfile | ((to: string) => EnvelopeProfile)
  from?: string
  to?: string[]
  attachments?: Buffer[]
  signer?: SignerIdentity
  receiptSigner?: (to: string) => SignerIdentity
  sentAt?: Date
  /** recipients that never answered (no receipt) */
  undelivered?: string[]
  /** the recipient's log member of each receipt (PROTOCOL.md §20.5): its checkpoint and entry index */
  receiptLog?: (claims: ReceiptClaims) => ReceiptLog | undefined
}): Promise<Sent> {
  const from = opts.from ?? 'moi'
  const to = opts.to ?? ['mof']
  const attachments = opts.attachments ?? [Buffer.from('%PDF-1.7\n% evidence test\n'), Buffer.alloc(1500, 7)]
  const sentAt = (opts.sentAt ?? new Date()).toISOString()
  const letterId = randomUUID()
  const letterObj = { ...sampleLetter(from, to[0]!, attachments), recipients: to.map((a) => ({ agency: a, title: 'อธิบดี' })) }
  const messages: OutboxMessage[] = []
  const imprints = new Map<string, { letter: Buffer; receipt?: Buffer }>()
  for (const recipient of to) {
    const profile = typeof opts.profile === 'function' ? opts.profile(recipient) : opts.profile
    const messageId = randomUUID()
    const sealed = await profile.seal({
      messageId, from, to: recipient, sentAt, letter: letterObj, attachments,
      signer: opts.signer ?? signerOf(opts.fed, from), recipientCert: opts.fed.agencies[recipient]!.encryption.cert,
    })
    const delivered = !(opts.undelivered ?? []).includes(recipient)
    let receipt: Buffer | null = null
    let receiptImprint: Buffer | undefined
    if (delivered) {
      const claims: ReceiptClaims = {
        v: 1, mid: messageId, from, to: recipient, receivedAt: new Date().toISOString(), envelopeSha256: sealed.envelopeSha256, profile: profile.id,
      }
      const log = opts.receiptLog?.(claims)
      receipt = await profile.signReceipt(log === undefined ? claims : { ...claims, log }, opts.receiptSigner?.(recipient) ?? signerOf(opts.fed, recipient))
      receiptImprint = sha256((await profile.verifyReceipt(receipt)).signature)
    }
    imprints.set(messageId, { letter: sha256(sealed.signature), ...(receiptImprint ? { receipt: receiptImprint } : {}) })
    const now = Date.now()
    messages.push({
      messageId, letterId, recipientAgency: recipient, profile: profile.id, envelope: sealed.envelope, envelopeSha256: sealed.envelopeSha256,
      contentKey: sealed.contentKey, priority: 3, nextAttemptAt: now, status: delivered ? 'delivered' : 'queued', attempts: delivered ? 1 : 0,
      lastErrorCode: null, lastErrorDetail: null, createdAt: now, updatedAt: now, deliveredAt: delivered ? now : null,
      receipt: receipt === null ? null : receiptText(profile.id, receipt), senderAgency: from,
    })
  }
  const letter: OutboxLetter = { id: letterId, senderAgency: from, letterJson: JSON.stringify(letterObj), createdAt: Date.now(), idempotencyKey: null, requestSha256: null, requestFingerprint: null }
  return { letter, messages, imprints }
}

export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest()

/** A real RFC 3161 TSA (openssl ts) whose certificate (EKU timeStamping, critical) is issued by the
 *  federation's issuing CA: its tokens are checked by our verifyTimeStampToken (src/tsa), so the
 *  evidence tests are also an interop test of it. */
export interface OpensslTsa {
  stamp(imprint: Buffer): Buffer
  tokensFor(sent: Sent, which?: Array<'letter' | 'receipt'>): (messageId: string) => StoredToken[]
  close(): void
}

export function opensslTsa(fed: FederationMaterial): OpensslTsa {
  const dir = mkdtempSync(join(tmpdir(), 'evidence-tsa-'))
  const f = (n: string) => join(dir, n)
  writeFileSync(f('ca.key'), fed.intermediate.keyPem)
  writeFileSync(f('ca.pem'), fed.intermediate.certPem)
  writeFileSync(f('root.pem'), fed.root.certPem)
  writeFileSync(f('ext'), 'extendedKeyUsage=critical,timeStamping\nkeyUsage=critical,digitalSignature\nbasicConstraints=critical,CA:FALSE\n')
  writeFileSync(f('serial'), '01\n')
  writeFileSync(f('ts.cnf'), `[ tsa ]\ndefault_tsa = t\n[ t ]\nserial = ${f('serial')}\nsigner_digest = sha256\ndefault_policy = 1.3.6.1.4.1.999999.764.9.1\nother_policies = 1.3.6.1.4.1.999999.764.9.2\ndigests = sha256\naccuracy = secs:1\nordering = no\ntsa_name = no\ness_cert_id_chain = no\ness_cert_id_alg = sha256\n`)
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
  run('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'tsa.key', '-out', 'tsa.csr', '-subj', '/O=Saraban Federation Operator (TEST)/CN=Saraban TEST TSA')
  run('x509', '-req', '-in', 'tsa.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', '0x' + randomUUID().replaceAll('-', '').slice(0, 16), '-days', '30', '-extfile', 'ext', '-out', 'tsa.pem')
  let n = 0
  const stamp = (imprint: Buffer): Buffer => {
    const q = f(`q${++n}.tsq`), out = f(`t${n}.tsr`)
    run('ts', '-query', '-digest', imprint.toString('hex'), '-sha256', '-cert', '-no_nonce', '-out', q)
    run('ts', '-reply', '-config', 'ts.cnf', '-queryfile', q, '-signer', 'tsa.pem', '-inkey', 'tsa.key', '-chain', 'ca.pem', '-token_out', '-out', out)
    return readFileSync(out)
  }
  const tokensFor = (sent: Sent, which: Array<'letter' | 'receipt'> = ['letter', 'receipt']) => {
    const tokens = new Map<string, StoredToken[]>()
    for (const [mid, imp] of sent.imprints) {
      const list: StoredToken[] = []
      for (const k of which) {
        const i = imp[k]
        if (i) { const token = stamp(i); list.push({ kind: k, token, genTime: tokenFacts(token).genTime }) }
      }
      tokens.set(mid, list)
    }
    return (mid: string) => tokens.get(mid) ?? []
  }
  return { stamp, tokensFor, close: () => rmSync(dir, { recursive: true, force: true }) }
}

/** A CRL (DER) issued by the federation's issuing CA ('intermediate') or root, listing `revoked`. */
export async function testCrl(fed: FederationMaterial, opts: {
  by: 'intermediate' | 'root'
  thisUpdate?: Date
  nextUpdate?: Date
  revoked?: Array<{ cert: X509Certificate; at: Date }>
}): Promise<Buffer> {
  const issuer = opts.by === 'root' ? fed.root : fed.intermediate
  const rsa = issuer.key.asymmetricKeyType === 'rsa'
  const alg = rsa ? { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } : { name: 'ECDSA', namedCurve: (issuer.key.asymmetricKeyDetails?.namedCurve === 'secp384r1' ? 'P-384' : 'P-256'), hash: issuer.key.asymmetricKeyDetails?.namedCurve === 'secp384r1' ? 'SHA-384' : 'SHA-256' }
  const signingKey = await webcrypto.subtle.importKey('pkcs8', issuer.key.export({ type: 'pkcs8', format: 'der' }), alg, false, ['sign'])
  const crl = await x509.X509CrlGenerator.create({
    issuer: new x509.X509Certificate(issuer.cert.raw).subjectName,
    thisUpdate: opts.thisUpdate ?? new Date(Date.now() - 3600_000),
    nextUpdate: opts.nextUpdate ?? new Date(Date.now() + 7 * 86_400_000),
    signingAlgorithm: alg,
    signingKey,
    // With a reason code: @peculiar/x509 writes an empty (invalid) crlEntryExtensions otherwise, which pkijs refuses.
    entries: (opts.revoked ?? []).map((r) => ({ serialNumber: r.cert.serialNumber, revocationDate: r.at, reason: x509.X509CrlReason.keyCompromise })),
  }, webcrypto as unknown as Parameters<typeof x509.X509CrlGenerator.create>[1])
  return Buffer.from(crl.rawData)
}
