// Generates the language-neutral cms-v1 test vectors (format: test/vectors/README.md, "cms-v1/").
//   npx tsx test/vectors/generate-cms.ts
//   npx tsx test/vectors/generate-cms.ts --receipts   the receipts only (envelopes left as they are)
//   npx tsx test/vectors/generate-cms.ts --envelope N   envelope vector N only (a new case; the others,
//                                                      whose random bytes would all change, left as they are)
// Key material: the jose-v1 vectors' keys (test/vectors/jose-v1/keys.json), written again as PEM in
// cms-v1/keys.json. One case is built by OpenSSL (`openssl cms -sign` + `-encrypt -stream`).
import { execFileSync } from 'node:child_process'
import { constants, publicEncrypt } from 'node:crypto'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { certId } from '../../src/crypto/cms/cert-id.js'
import { algId, int, NULL, octets, seq } from '../../src/crypto/cms/der-write.js'
import { OID_CT_SARABAN_LETTER, OID_CT_SARABAN_RECEIPT, OID_SIGNED_DATA } from '../../src/crypto/cms/oids.js'
import { openCmsV1, peekCmsV1, sealCmsV1 } from '../../src/crypto/cms/v1-profile.js'
import { signCmsReceipt, verifyCmsReceipt } from '../../src/crypto/cms/v1-receipt.js'
import { signCms } from '../../src/crypto/cms/signed-data.js'
import { withLog } from './log-fixture.js'
import type { ErrorCode } from '../../src/errors.js'
import type { Routing, SealInput } from '../../src/crypto/profiles.js'
import { assembleEnvelope, flipByte, replaceBytes, signedLetter } from './cms-craft.js'
import { bytesOf, sampleLetter, sha256Hex } from './fixtures.js'
import { materialFromKeysFile, type KeysFile, type VectorMaterial } from './material.js'

const OUT = fileURLToPath(new URL('./cms-v1/', import.meta.url))
const JOSE_KEYS = fileURLToPath(new URL('./jose-v1/keys.json', import.meta.url))
const m: VectorMaterial = materialFromKeysFile(JSON.parse(readFileSync(JOSE_KEYS, 'utf8')) as KeysFile)

const mid = (n: number): string => `c3500000-0000-4000-8000-${String(n).padStart(12, '0')}`
const SENT_AT = '2026-11-25T03:04:05.678Z'
const PDF = Buffer.concat([Buffer.from('%PDF-1.7\n% ไม่ใช่ PDF จริง (test bytes)\n'), bytesOf(2_000, 5)])
const NOTE = Buffer.from('หมายเหตุ: ไฟล์แนบที่สอง\n', 'utf8')
const OID_ENVELOPED_DATA = '1.2.840.113549.1.7.3'
const OID_AES128_GCM = '2.16.840.1.101.3.4.1.6'
const OID_RSA_ENCRYPTION = '1.2.840.113549.1.1.1'

function input(n: number, from: string, to: string, attachments: Buffer[] = [PDF, NOTE]): SealInput {
  return {
    messageId: mid(n), from, to, sentAt: SENT_AT, letter: sampleLetter(from, to, attachments), attachments,
    signer: m.agencies[from]!.signer, recipientCert: m.agencies[to]!.encryptionCert,
  }
}
const routingOf = (i: SealInput): Routing => ({ messageId: i.messageId, from: i.from, to: i.to })

interface EnvelopeCase { name: string; description: string; recipient: string; routing: Routing | null; envelope: Buffer; error?: ErrorCode }

const good = (n: number, from: string, to: string, o: { pss?: boolean; attachments?: Buffer[] } = {}): Omit<EnvelopeCase, 'name' | 'description'> => {
  const i = input(n, from, to, o.attachments)
  return { recipient: to, routing: routingOf(i), envelope: sealCmsV1(i, o.pss ? { sigAlg: 'rsa-pss' } : {}).envelope }
}

/** An envelope for `i.to` whose plaintext is `signed` followed by `tail` (default: the attachments). */
const crafted = (i: SealInput, signed: Buffer, tail: Buffer[] = i.attachments): Omit<EnvelopeCase, 'name' | 'description'> =>
  ({ recipient: i.to, routing: routingOf(i), envelope: assembleEnvelope({ plaintext: [signed, ...tail], recipient: i.recipientCert }) })

const structural = (n: number, parts: Omit<Parameters<typeof assembleEnvelope>[0], 'plaintext' | 'recipient'>): Omit<EnvelopeCase, 'name' | 'description'> => {
  const i = input(n, 'moi', 'mof')
  return { recipient: 'mof', routing: routingOf(i), envelope: assembleEnvelope({ plaintext: [signedLetter(i), ...i.attachments], recipient: i.recipientCert, ...parts }) }
}

function opensslStreamed(n: number): Omit<EnvelopeCase, 'name' | 'description'> {
  const i = input(n, 'mof', 'moi', [PDF])
  const dir = mkdtempSync(join(tmpdir(), 'cms-vectors-'))
  try {
    const f = (name: string, body?: Buffer | string) => { const p = join(dir, name); if (body !== undefined) writeFileSync(p, body); return p }
    const pem = (der: Buffer, label: string) => `-----BEGIN ${label}-----\n${der.toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END ${label}-----\n`
    const s = m.agencies['mof']!.signer
    execFileSync('openssl', ['cms', '-sign', '-binary', '-nodetach', '-md', 'sha256', '-econtent_type', OID_CT_SARABAN_LETTER, '-stream',
      '-in', f('p.json', Buffer.from(JSON.stringify({ v: 1, mid: i.messageId, from: i.from, to: i.to, sentAt: SENT_AT, letter: i.letter }))),
      '-signer', f('s.crt', pem(s.chain[0]!.raw, 'CERTIFICATE')), '-inkey', f('s.key', s.key.export({ type: 'pkcs8', format: 'pem' }) as string),
      '-certfile', f('ca.crt', pem(s.chain[1]!.raw, 'CERTIFICATE')), '-outform', 'DER', '-out', f('signed.der')])
    f('plain', Buffer.concat([readFileSync(f('signed.der')), PDF]))
    execFileSync('openssl', ['cms', '-encrypt', '-binary', '-aes-256-gcm', '-stream', '-in', f('plain'), '-recip', f('r.crt', pem(m.agencies['moi']!.encryptionCert.raw, 'CERTIFICATE')),
      '-keyopt', 'rsa_padding_mode:oaep', '-keyopt', 'rsa_oaep_md:sha256', '-keyopt', 'rsa_mgf1_md:sha256', '-outform', 'DER', '-out', f('env.der')])
    return { recipient: 'moi', routing: routingOf(i), envelope: readFileSync(f('env.der')) }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const i40 = input(40, 'moi', 'mof')
const i41 = input(41, 'moi', 'mof')
const i13 = input(13, 'mof', 'moi')
const pkcs1Ktri = seq(int(0), certId(m.agencies['moi']!.encryptionCert).issuerAndSerial, algId(OID_RSA_ENCRYPTION, NULL),
  octets(publicEncrypt({ key: m.agencies['moi']!.encryptionCert.publicKey, padding: constants.RSA_PKCS1_PADDING }, Buffer.alloc(32, 1))))
const ephemeralY = (ri: Buffer): Buffer => { const at = ri.indexOf(Buffer.from([0x03, 0x42, 0x00, 0x04])); return flipByte(ri, at + 4 + 63) }

const CASES: EnvelopeCase[] = [
  { name: 'valid-rsa-pkcs1-ecdh', description: 'moi (RSA PKCS#1 v1.5 signer) to mof (EC P-256: ECDH key agreement), two attachments', ...good(1, 'moi', 'mof') },
  { name: 'valid-ecdsa-rsa-oaep', description: 'mof (ECDSA P-256) to moi (RSA: RSA-OAEP key transport)', ...good(2, 'mof', 'moi') },
  { name: 'valid-ecdsa-ecdh', description: 'dga (ECDSA) to mof (ECDH)', ...good(3, 'dga', 'mof') },
  { name: 'valid-rsa-pss-rsa-oaep', description: 'moi signs with RSASSA-PSS (accepted on verify), to itself', ...good(4, 'moi', 'moi', { pss: true }) },
  { name: 'valid-no-attachments', description: 'an empty manifest: the plaintext is the SignedData alone', ...good(5, 'dga', 'moi', { attachments: [] }) },
  { name: 'valid-openssl-streamed', description: 'built by openssl cms -sign -stream and openssl cms -encrypt -aes-256-gcm -stream (indefinite lengths, chunked encrypted content), mof to moi', ...opensslStreamed(6) },
  { name: 'tampered-ciphertext', description: 'one bit of the encrypted content flipped', ...(() => { const g = good(10, 'moi', 'mof'); return { ...g, envelope: flipByte(g.envelope, -100) } })(), error: 'ERR_DECRYPT_FAILED' },
  { name: 'tampered-mac', description: 'one bit of the GCM tag (mac) flipped', ...(() => { const g = good(11, 'mof', 'moi'); return { ...g, envelope: flipByte(g.envelope, -1) } })(), error: 'ERR_DECRYPT_FAILED' },
  { name: 'wrong-recipient-key', description: 'sealed for mof, opened with the key of dga', ...good(12, 'moi', 'mof'), recipient: 'dga', error: 'ERR_DECRYPT_FAILED' },
  { name: 'tampered-encrypted-key', description: 'one bit of the RSA-OAEP encrypted key flipped (no padding oracle: same code)', recipient: 'moi', routing: routingOf(i13), envelope: assembleEnvelope({ plaintext: [signedLetter(i13)], recipient: i13.recipientCert, mutateRecipientInfo: (ri) => flipByte(ri, -1) }), error: 'ERR_DECRYPT_FAILED' },
  { name: 'tampered-ephemeral-key', description: 'one bit of the ECDH originator public key flipped', ...structural(14, { mutateRecipientInfo: ephemeralY }), error: 'ERR_DECRYPT_FAILED' },
  { name: 'tampered-signature', description: 'the last byte of the SignerInfo signature flipped, then correctly encrypted', ...crafted(input(20, 'moi', 'mof'), signedLetter(input(20, 'moi', 'mof'), { mutate: (d) => flipByte(d, -1) })), error: 'ERR_SIGNATURE_INVALID' },
  { name: 'tampered-econtent', description: 'one byte of the signed payload changed (message-digest mismatch)', ...crafted(input(21, 'mof', 'moi'), signedLetter(input(21, 'mof', 'moi'), { mutate: (d) => replaceBytes(d, Buffer.from('"subject"'), Buffer.from('"Subject"')) })), error: 'ERR_SIGNATURE_INVALID' },
  { name: 'econtent-type-receipt', description: 'the SignedData inside has the receipt eContentType, correctly signed', ...crafted(input(22, 'moi', 'mof'), signedLetter(input(22, 'moi', 'mof'), { contentType: OID_CT_SARABAN_RECEIPT })), error: 'ERR_PROFILE_UNSUPPORTED' },
  { name: 'payload-v2', description: 'signed payload "v": 2 with the v1 members (mid, to): not the members of v2 (PROTOCOL.md §17.2)', ...crafted(input(23, 'moi', 'mof'), signedLetter(input(23, 'moi', 'mof'), { over: { v: 2 } })), error: 'ERR_ENVELOPE_MALFORMED' },
  { name: 'payload-extra-member', description: 'signed payload with a member the profile does not define', ...crafted(input(24, 'moi', 'mof'), signedLetter(input(24, 'moi', 'mof'), { over: { extra: true } })), error: 'ERR_ENVELOPE_MALFORMED' },
  { name: 'attachment-digest-mismatch', description: 'the second attachment has one bit flipped after the manifest was made', ...crafted(input(30, 'moi', 'mof'), signedLetter(input(30, 'moi', 'mof')), [PDF, flipByte(NOTE, 0)]), error: 'ERR_ATTACHMENT_DIGEST_MISMATCH' },
  { name: 'attachment-bytes-extra', description: 'one byte more after the attachments than the manifest sizes add up to', ...crafted(input(31, 'moi', 'mof'), signedLetter(input(31, 'moi', 'mof')), [PDF, NOTE, Buffer.from([0x0a])]), error: 'ERR_ENVELOPE_MALFORMED' },
  { name: 'attachment-bytes-missing', description: 'the last attachment is missing', ...crafted(input(32, 'moi', 'mof'), signedLetter(input(32, 'moi', 'mof')), [PDF]), error: 'ERR_ENVELOPE_MALFORMED' },
  { name: 'routing-mid-mismatch', description: 'the routing headers name another message id than the signed payload', recipient: 'mof', routing: { ...routingOf(i40), messageId: mid(98) }, envelope: sealCmsV1(i40).envelope, error: 'ERR_ENVELOPE_HEADER_MISMATCH' },
  { name: 'routing-to-mismatch', description: 'a letter signed for mof, re-encrypted for dga and routed to dga', recipient: 'dga', routing: { ...routingOf(i41), to: 'dga' }, envelope: assembleEnvelope({ plaintext: [signedLetter(i41), ...i41.attachments], recipient: m.agencies['dga']!.encryptionCert }), error: 'ERR_ENVELOPE_HEADER_MISMATCH' },
  { name: 'no-routing', description: 'no Saraban-Message-Id/From/To routing headers (required for cms-v1)', ...good(42, 'moi', 'mof'), routing: null, error: 'ERR_ENVELOPE_MALFORMED' },
  { name: 'enveloped-data', description: 'outer content type id-envelopedData instead of id-ct-authEnvelopedData', ...structural(50, { outerType: OID_ENVELOPED_DATA }), error: 'ERR_PROFILE_UNSUPPORTED' },
  { name: 'aes128-gcm', description: 'content encryption AES-128-GCM (only AES-256-GCM is allowed)', ...structural(51, { contentAlgorithm: OID_AES128_GCM }), error: 'ERR_PROFILE_UNSUPPORTED' },
  { name: 'gcm-icvlen-12', description: 'a 12-byte GCM tag (aes-ICVlen 12)', ...structural(52, { icvLen: 12 }), error: 'ERR_PROFILE_UNSUPPORTED' },
  { name: 'two-recipient-infos', description: 'two RecipientInfos (cms-v1 has exactly one)', ...structural(53, { recipientInfos: (ri) => [ri, ri] }), error: 'ERR_PROFILE_UNSUPPORTED' },
  { name: 'content-type-signed-data', description: 'encrypted content type id-signedData instead of id-data', ...structural(54, { contentType: OID_SIGNED_DATA }), error: 'ERR_PROFILE_UNSUPPORTED' },
  { name: 'auth-attrs', description: 'authAttrs present (cms-v1 uses none)', ...structural(55, { authAttrs: Buffer.from('a100', 'hex') }), error: 'ERR_PROFILE_UNSUPPORTED' },
  { name: 'rsa-pkcs1-key-transport', description: 'KeyTransRecipientInfo with rsaEncryption (PKCS#1 v1.5) instead of RSAES-OAEP', recipient: 'moi', routing: routingOf(input(56, 'mof', 'moi')), envelope: assembleEnvelope({ plaintext: [Buffer.from('x')], recipient: m.agencies['moi']!.encryptionCert, recipientInfos: () => [pkcs1Ktri] }), error: 'ERR_PROFILE_UNSUPPORTED' },
  { name: 'trailing-bytes', description: 'one byte after the ContentInfo', ...structural(57, { trailing: Buffer.from([0]) }), error: 'ERR_ENVELOPE_MALFORMED' },
  { name: 'truncated', description: 'the last 10 bytes cut off', ...(() => { const g = good(58, 'moi', 'mof'); return { ...g, envelope: g.envelope.subarray(0, g.envelope.length - 10) } })(), error: 'ERR_ENVELOPE_MALFORMED' },
  // PROTOCOL.md §12.7 step 7 before step 8 (§4.2 check 11 before 12), the order of jose (§5.8): two defects, one code.
  { name: 'routing-mismatch-and-bytes-extra', description: 'the routing headers name another message id than the signed payload AND one byte more follows the attachments: the routing is bound before the attachments are framed, as in jose', ...(() => { const i = input(59, 'moi', 'mof'); const c = crafted(i, signedLetter(i), [PDF, NOTE, Buffer.from([0x0a])]); return { ...c, routing: { ...routingOf(i), messageId: mid(97) } } })(), error: 'ERR_ENVELOPE_HEADER_MISMATCH' },
  // PROTOCOL.md §17.2, §18.2: a notice is about one recipient's message and never travels in a v2 payload.
  { name: 'payload-v2-notice', description: 'a v2 payload (lid, no mid or to) carrying an accepted notice in place of the letter, correctly signed: a notice never travels in a v2 payload', ...(() => { const i = input(62, 'mof', 'moi', []); return crafted(i, signedLetter(i, { over: { v: 2, mid: undefined, to: undefined, letter: undefined, lid: mid(63), notice: { type: 'accepted', messageId: mid(1), envelopeSha256: '0'.repeat(64), at: SENT_AT, register: { book: 'receive', year: 2026, number: 1 } } } }), []) })(), error: 'ERR_ENVELOPE_MALFORMED' },
]

function openChecked(c: EnvelopeCase) {
  const h = peekCmsV1(c.envelope, c.routing ?? undefined)
  // §12.7 step 7: the routing must be what was signed, bound before the attachments are framed.
  const o = openCmsV1(c.envelope, m.agencies[c.recipient]!.encryptionKey, h)
  return { h, o }
}

function expectOf(c: EnvelopeCase): Record<string, unknown> {
  let peek: unknown
  try {
    peek = peekCmsV1(c.envelope, c.routing ?? undefined)
  } catch (e) {
    peek = { error: (e as { code: string }).code }
  }
  if (c.error === undefined) {
    const { o } = openChecked(c)
    return { peek, open: { payload: o.payload, signerLeafSha256: sha256Hex(o.signerChain[0]!.raw), signatureSha256: sha256Hex(o.signature), attachments: o.attachments.map((a) => ({ size: a.length, sha256: sha256Hex(a) })) } }
  }
  try {
    openChecked(c)
  } catch (e) {
    const code = (e as { code?: string }).code
    if (code !== c.error) throw new Error(`${c.name}: open says ${code}, the case expects ${c.error}`)
    return { peek, open: { error: code } }
  }
  throw new Error(`${c.name}: open succeeded, the case expects ${c.error}`)
}

function receiptCases(): Array<{ name: string; description: string; receipt: Buffer; valid: boolean }> {
  const claims = (to: string) => ({ v: 1 as const, mid: mid(60), from: 'dga', to, receivedAt: '2026-11-25T03:04:06.000Z', envelopeSha256: sha256Hex(Buffer.from('envelope bytes')), profile: 'cms-v1' })
  const mof = m.agencies['mof']!.signer
  const ec = signCmsReceipt(claims('mof'), mof)
  const asLetter = signedLetter(input(61, 'mof', 'dga'))
  return [
    { name: 'valid-rsa-pkcs1', description: 'receipt signed by moi (RSA PKCS#1 v1.5)', receipt: signCmsReceipt(claims('moi'), m.agencies['moi']!.signer), valid: true },
    { name: 'valid-ecdsa', description: 'receipt signed by mof (ECDSA P-256)', receipt: ec, valid: true },
    { name: 'valid-rsa-pss', description: 'receipt signed by moi (RSASSA-PSS, accepted)', receipt: signCmsReceipt(claims('moi'), m.agencies['moi']!.signer, { sigAlg: 'rsa-pss' }), valid: true },
    { name: 'tampered-signature', description: 'last signature byte flipped', receipt: flipByte(ec, -1), valid: false },
    { name: 'tampered-claims', description: 'one byte of the claims changed (message-digest mismatch)', receipt: replaceBytes(ec, Buffer.from('"dga"'), Buffer.from('"dgb"')), valid: false },
    { name: 'letter-content-type', description: 'a signed letter (letter eContentType) instead of a receipt', receipt: asLetter, valid: false },
    { name: 'trailing-bytes', description: 'one byte after the ContentInfo', receipt: Buffer.concat([ec, Buffer.from([0])]), valid: false },
    // PROTOCOL.md §12.6, §20.5: the same "log" member as jose-v1 (the checkpoint is a JWS in both families).
    { name: 'valid-with-log', description: 'receipt signed by mof with "log": its checkpoint of a 3-entry tree whose entry 2 is the message.received entry of these claims', receipt: signCmsReceipt(withLog(claims('mof'), mof), mof), valid: true },
    { name: 'signing-time-far', description: 'signing-time an hour after receivedAt, correctly signed (PROTOCOL.md §12.6: within 5 minutes)', receipt: signCmsReceipt(claims('mof'), mof, { signingTime: new Date(Date.parse(claims('mof').receivedAt) + 3_600_000) }), valid: false },
    { name: 'signing-time-openssl', description: 'signing-time 2 s after receivedAt, as openssl cms -sign makes it from its clock: accepted (PROTOCOL.md §12.6)', receipt: signCmsReceipt(claims('mof'), mof, { signingTime: new Date(Date.parse(claims('mof').receivedAt) + 2_000) }), valid: true },
    { name: 'duplicate-claim', description: 'the claims name "receivedAt" twice, correctly signed (RFC 7493 I-JSON, PROTOCOL.md §5.6)', receipt: signCms(OID_CT_SARABAN_RECEIPT, Buffer.from(JSON.stringify(claims('mof')).replace('"profile"', '"receivedAt":"2001-01-01T00:00:00.000Z","profile"')), mof, { signingTime: new Date(claims('mof').receivedAt) }).der, valid: false },
  ]
}

function writeDir(dir: string, files: Array<[string, unknown]>): void {
  mkdirSync(dir, { recursive: true })
  for (const f of readdirSync(dir)) if (f.endsWith('.json')) rmSync(join(dir, f))
  for (const [name, body] of files) writeFileSync(join(dir, name), JSON.stringify(body, null, 2) + '\n')
}

const pemKey = (k: VectorMaterial['agencies'][string]['encryptionKey']) => k.export({ type: 'pkcs8', format: 'pem' }) as string
const pemCert = (c: VectorMaterial['root']) => c.toString()
mkdirSync(OUT, { recursive: true })
writeFileSync(join(OUT, 'keys.json'), JSON.stringify({
  description: 'cms-v1 test vector key material: the keys of jose-v1/keys.json as PEM. TEST KEYS ONLY, published on purpose: never trust them.',
  root: pemCert(m.root),
  agencies: Object.fromEntries(Object.entries(m.agencies).map(([id, a]) => [id, {
    keyType: a.keyType,
    signing: { privateKey: pemKey(a.signer.key), chain: a.signer.chain.map(pemCert).join('') },
    encryption: { privateKey: pemKey(a.encryptionKey), certificate: pemCert(a.encryptionCert) },
  }])),
}, null, 2) + '\n')
const envelopeFile = (c: EnvelopeCase, i: number): [string, unknown] => [`${String(i + 1).padStart(2, '0')}-${c.name}.json`, {
  profile: 'cms-v1', description: c.description, contentType: 'application/cms', recipient: c.recipient, routing: c.routing,
  envelopeSha256: sha256Hex(c.envelope), expect: expectOf(c), envelope: c.envelope.toString('base64'),
}]
const only = process.argv.indexOf('--envelope')
if (only >= 0) {
  const n = Number(process.argv[only + 1])
  const [name, body] = envelopeFile(CASES[n - 1]!, n - 1)
  writeFileSync(join(OUT, 'envelopes', name), JSON.stringify(body, null, 2) + '\n')
  console.log(`wrote envelope vector ${name}`)
  process.exit(0)
}
if (!process.argv.includes('--receipts')) writeDir(join(OUT, 'envelopes'), CASES.map(envelopeFile))
const receipts = receiptCases()
writeDir(join(OUT, 'receipts'), receipts.map((r, i) => {
  let expect: unknown = { error: 'ERR_RECEIPT_INVALID' }
  if (r.valid) {
    const v = verifyCmsReceipt(r.receipt)
    expect = { claims: v.claims, signerLeafSha256: sha256Hex(v.signerChain[0]!.raw) }
  }
  return [`${String(i + 1).padStart(2, '0')}-${r.name}.json`, { profile: 'cms-v1', description: r.description, expect, receipt: r.receipt.toString('base64') }]
}))
console.log(`wrote ${CASES.length} envelope and ${receipts.length} receipt vectors to ${OUT}`)
