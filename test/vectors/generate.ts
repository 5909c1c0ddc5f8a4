// Generates the language-neutral jose-v1 test vectors (format: test/vectors/README.md).
//   npx tsx test/vectors/generate.ts              new envelopes and receipts, same keys.json
//   npx tsx test/vectors/generate.ts --new-keys   also new key material (createFederation)
//   npx tsx test/vectors/generate.ts --receipts   the receipts only (envelopes left as they are)
import type { KeyObject } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { openV1, sealV1 } from '../../src/crypto/jose/v1-profile.js'
import { parseV1Envelope } from '../../src/crypto/jose/v1-header.js'
import { signV1Receipt } from '../../src/crypto/jose/v1-receipt.js'
import { withLog as logOf } from './log-fixture.js'
import type { ErrorCode } from '../../src/errors.js'
import type { SealInput } from '../../src/crypto/profiles.js'
import { createFederation } from '../../src/pki/dev-ca.js'
import { craftEnvelope, craftJws, craftJwsText, letterJws, payloadOf, spliceHeader, tamperPart, undecodableKey, x5cOf } from './craft.js'
import { bytesOf, sampleLetter, sha256Hex } from './fixtures.js'
import { keysFileOf, materialFromKeysFile, type KeysFile, type VectorMaterial } from './material.js'

const OUT = fileURLToPath(new URL('./jose-v1/', import.meta.url))
const AGENCIES = [
  { id: 'moi', nameTh: 'กระทรวงมหาดไทย', nameEn: 'Ministry of Interior', keyType: 'rsa' as const, federationUrl: 'https://127.0.0.1:8443' },
  { id: 'mof', nameTh: 'กระทรวงการคลัง', nameEn: 'Ministry of Finance', keyType: 'ec' as const, federationUrl: 'https://127.0.0.1:8444' },
  { id: 'dga', nameTh: 'สำนักงานพัฒนารัฐบาลดิจิทัล (องค์การมหาชน)', nameEn: 'Digital Government Development Agency', keyType: 'ec' as const, federationUrl: 'https://127.0.0.1:8445' },
]

async function material(): Promise<VectorMaterial> {
  const keysPath = join(OUT, 'keys.json')
  if (existsSync(keysPath) && !process.argv.includes('--new-keys')) return materialFromKeysFile(JSON.parse(readFileSync(keysPath, 'utf8')) as KeysFile)
  const fed = await createFederation({ agencies: AGENCIES, validityDays: 30 * 365, rootCommonName: 'Saraban TEST VECTORS Root CA (never trust)' })
  const m: VectorMaterial = { root: fed.root.cert, agencies: {} }
  for (const a of AGENCIES) {
    const x = fed.agencies[a.id]!
    m.agencies[a.id] = { keyType: a.keyType, signer: { agency: a.id, key: x.signing.key, chain: x.signing.chain }, encryptionKey: x.encryption.key, encryptionCert: x.encryption.cert }
  }
  mkdirSync(OUT, { recursive: true })
  writeFileSync(keysPath, JSON.stringify(keysFileOf(m), null, 2) + '\n')
  return m
}

const m = await material()
const mid = (n: number): string => `5a2a0ba0-0000-4000-8000-${String(n).padStart(12, '0')}`
const SENT_AT = '2026-11-25T03:04:05.678Z'
const PDF = Buffer.concat([Buffer.from('%PDF-1.7\n% ไม่ใช่ PDF จริง (test bytes)\n'), bytesOf(2_000, 5)])
const NOTE = Buffer.from('หมายเหตุ: ไฟล์แนบที่สอง\n', 'utf8')

function input(n: number, from: string, to: string, attachments: Buffer[] = [PDF, NOTE]): SealInput {
  return {
    messageId: mid(n), from, to, sentAt: SENT_AT, letter: sampleLetter(from, to, attachments), attachments,
    signer: m.agencies[from]!.signer, recipientCert: m.agencies[to]!.encryptionCert,
  }
}

interface EnvelopeCase { name: string; description: string; recipient: string; envelope: Buffer; error?: ErrorCode }

const good = (n: number, from: string, to: string, signAlg?: string, attachments?: Buffer[]): Buffer =>
  sealV1(input(n, from, to, attachments), signAlg === undefined ? {} : { signAlg }).envelope

const CASES: EnvelopeCase[] = [
  { name: 'valid-rs256-ecdh-es', description: 'moi (RSA, RS256) to mof (EC P-256, ECDH-ES+A256KW), two attachments', recipient: 'mof', envelope: good(1, 'moi', 'mof') },
  { name: 'valid-es256-rsa-oaep-256', description: 'mof (EC, ES256) to moi (RSA, RSA-OAEP-256)', recipient: 'moi', envelope: good(2, 'mof', 'moi') },
  { name: 'valid-es256-ecdh-es', description: 'dga (ES256) to mof (ECDH-ES+A256KW)', recipient: 'mof', envelope: good(3, 'dga', 'mof') },
  { name: 'valid-ps256-rsa-oaep-256', description: 'moi signs PS256 (accepted on verify), to itself (RSA-OAEP-256)', recipient: 'moi', envelope: good(4, 'moi', 'moi', 'PS256') },
  { name: 'valid-no-attachments', description: 'a letter with an empty manifest: the bundle ends with the line feed', recipient: 'moi', envelope: good(5, 'dga', 'moi', undefined, []) },
  { name: 'tampered-ciphertext', description: 'one base64url character of the ciphertext changed', recipient: 'mof', envelope: tamperPart(good(10, 'moi', 'mof'), 3), error: 'ERR_DECRYPT_FAILED' },
  { name: 'tampered-tag', description: 'first character of the authentication tag changed', recipient: 'moi', envelope: tamperPart(good(11, 'mof', 'moi'), 4, 0), error: 'ERR_DECRYPT_FAILED' },
  { name: 'tampered-iv', description: 'one character of the IV changed', recipient: 'mof', envelope: tamperPart(good(12, 'moi', 'mof'), 2), error: 'ERR_DECRYPT_FAILED' },
  { name: 'tampered-encrypted-key', description: 'one character of the RSA-OAEP encrypted key changed (no padding oracle: same code)', recipient: 'moi', envelope: tamperPart(good(13, 'mof', 'moi'), 1), error: 'ERR_DECRYPT_FAILED' },
  { name: 'tampered-header', description: 'srb_mid changed in the protected header (the header is the AAD)', recipient: 'mof', envelope: spliceHeader(good(14, 'moi', 'mof'), (h) => ({ ...h, srb_mid: mid(99) })), error: 'ERR_DECRYPT_FAILED' },
  { name: 'wrong-recipient-key', description: 'sealed for mof, opened with the key of dga', recipient: 'dga', envelope: good(15, 'moi', 'mof'), error: 'ERR_DECRYPT_FAILED' },
  { name: 'tampered-signature', description: 'inner JWS signature changed, then correctly encrypted', recipient: 'mof', envelope: craftEnvelope({ input: input(20, 'moi', 'mof'), jws: tamperPart(letterJws(input(20, 'moi', 'mof')), 2, 0) }), error: 'ERR_SIGNATURE_INVALID' },
  { name: 'signer-not-x5c-leaf', description: 'x5c names mof but dga\'s key signed', recipient: 'moi', envelope: craftEnvelope({ input: input(21, 'mof', 'moi'), jws: letterJws(input(21, 'mof', 'moi'), { key: m.agencies['dga']!.signer.key }) }), error: 'ERR_SIGNATURE_INVALID' },
  { name: 'jws-alg-none', description: 'inner JWS with "alg":"none" and an empty signature', recipient: 'mof', envelope: craftEnvelope({ input: input(22, 'moi', 'mof'), jws: letterJws(input(22, 'moi', 'mof'), { headerOver: { alg: 'none' } }) }), error: 'ERR_PROFILE_UNSUPPORTED' },
  { name: 'jws-alg-hs256', description: 'inner JWS with "alg":"HS256" (not allowed)', recipient: 'mof', envelope: craftEnvelope({ input: input(23, 'moi', 'mof'), jws: letterJws(input(23, 'moi', 'mof'), { headerOver: { alg: 'HS256' } }) }), error: 'ERR_PROFILE_UNSUPPORTED' },
  { name: 'attachment-digest-mismatch', description: 'second attachment has one bit flipped after the manifest was made', recipient: 'mof', envelope: sealV1({ ...input(30, 'moi', 'mof'), attachments: [PDF, flip(NOTE)] }).envelope, error: 'ERR_ATTACHMENT_DIGEST_MISMATCH' },
  { name: 'attachment-bytes-extra', description: 'one byte more after the attachments than the manifest sizes add up to', recipient: 'mof', envelope: craftEnvelope({ input: input(31, 'moi', 'mof'), jws: letterJws(input(31, 'moi', 'mof')), tail: [PDF, NOTE, Buffer.from([0x0a])] }), error: 'ERR_ENVELOPE_MALFORMED' },
  { name: 'bundle-without-newline', description: 'the bundle is the JWS alone, without the 0x0A separator', recipient: 'mof', envelope: craftEnvelope({ input: input(32, 'moi', 'mof', []), jws: letterJws(input(32, 'moi', 'mof', [])), noNewline: true, tail: [] }), error: 'ERR_ENVELOPE_MALFORMED' },
  { name: 'header-mid-mismatch', description: 'JWE srb_mid differs from the signed payload mid', recipient: 'mof', envelope: craftEnvelope({ input: input(40, 'moi', 'mof'), jws: letterJws(input(40, 'moi', 'mof'), { payloadOver: { mid: mid(98) } }) }), error: 'ERR_ENVELOPE_HEADER_MISMATCH' },
  { name: 'header-to-mismatch', description: 'a letter signed for mof, re-encrypted for dga with srb_to "dga"', recipient: 'dga', envelope: craftEnvelope({ input: { ...input(41, 'moi', 'mof'), recipientCert: m.agencies['dga']!.encryptionCert }, jws: letterJws(input(41, 'moi', 'mof')), headerOver: { srb_to: 'dga' } }), error: 'ERR_ENVELOPE_HEADER_MISMATCH' },
  { name: 'jwe-alg-none', description: 'JWE header "alg":"none" (refused by peek, before any key is used)', recipient: 'mof', envelope: spliceHeader(good(50, 'moi', 'mof'), (h) => ({ ...h, alg: 'none' })), error: 'ERR_PROFILE_UNSUPPORTED' },
  { name: 'jwe-alg-dir', description: 'JWE "alg":"dir" is not in the allow-list', recipient: 'mof', envelope: spliceHeader(good(51, 'moi', 'mof'), (h) => ({ ...h, alg: 'dir' })), error: 'ERR_PROFILE_UNSUPPORTED' },
  { name: 'jwe-crit', description: 'JWE header with "crit" (jose-v1 defines no critical extensions)', recipient: 'mof', envelope: spliceHeader(good(52, 'moi', 'mof'), (h) => ({ ...h, crit: ['srb_v'] })), error: 'ERR_PROFILE_UNSUPPORTED' },
  { name: 'jwe-unknown-member', description: 'JWE header with a member jose-v1 does not define ("zip")', recipient: 'mof', envelope: spliceHeader(good(53, 'moi', 'mof'), (h) => ({ ...h, zip: 'DEF' })), error: 'ERR_ENVELOPE_MALFORMED' },
  { name: 'jwe-srb-v-2', description: 'srb_v 2 is not this profile', recipient: 'mof', envelope: spliceHeader(good(54, 'moi', 'mof'), (h) => ({ ...h, srb_v: 2 })), error: 'ERR_PROFILE_UNSUPPORTED' },
  { name: 'four-parts', description: 'compact serialization with 4 parts', recipient: 'mof', envelope: Buffer.from(good(55, 'moi', 'mof').toString('latin1').split('.').slice(0, 4).join('.'), 'latin1'), error: 'ERR_ENVELOPE_MALFORMED' },
  { name: 'x5c-leaf-key-undecodable', description: 'the x5c leaf certificate parses but its public key does not decode (issue 13 §2): malformed, not an internal error', recipient: 'mof', envelope: craftEnvelope({ input: input(56, 'moi', 'mof'), jws: letterJws(input(56, 'moi', 'mof'), { headerOver: { x5c: [undecodableKey(m.agencies['moi']!.signer.chain[0]!).toString('base64'), ...x5cOf(m.agencies['moi']!.signer.chain).slice(1)] } }) }), error: 'ERR_ENVELOPE_MALFORMED' },
  // PROTOCOL.md §5.6 (RFC 7493 I-JSON): a member name twice is refused, whatever a parser would keep.
  { name: 'payload-duplicate-member', description: 'the signed payload names "to" twice ("dga", then "mof"): a parser keeping the last reads a letter for mof, one keeping the first a letter for dga; refused, field /to', recipient: 'mof', envelope: craftEnvelope({ input: input(57, 'moi', 'mof'), jws: craftJws({ alg: 'RS256', typ: 'saraban-letter+jws', x5c: x5cOf(m.agencies['moi']!.signer.chain) }, payloadOf(input(57, 'moi', 'mof')).toString('utf8').replace('"to":"mof"', '"to":"dga","to":"mof"'), m.agencies['moi']!.signer.key as KeyObject) }), error: 'ERR_ENVELOPE_MALFORMED' },
  { name: 'jws-header-duplicate-member', description: 'the inner JWS header names "typ" twice, correctly signed: refused, field typ', recipient: 'mof', envelope: craftEnvelope({ input: input(58, 'moi', 'mof'), jws: craftJwsText(`{"alg":"RS256","typ":"saraban-receipt+jws","typ":"saraban-letter+jws","x5c":${JSON.stringify(x5cOf(m.agencies['moi']!.signer.chain))}}`, payloadOf(input(58, 'moi', 'mof')), m.agencies['moi']!.signer.key as KeyObject) }), error: 'ERR_ENVELOPE_MALFORMED' },
]

function flip(b: Buffer): Buffer {
  const c = Buffer.from(b)
  c[0] = c[0]! ^ 1
  return c
}

function expectOf(c: EnvelopeCase): Record<string, unknown> {
  let peek: unknown
  try {
    peek = parseV1Envelope(c.envelope).header
  } catch (e) {
    peek = { error: (e as { code: string }).code }
  }
  if (c.error === undefined) {
    const o = openV1(c.envelope, m.agencies[c.recipient]!.encryptionKey)
    return { peek, open: { payload: o.payload, signerLeafSha256: sha256Hex(o.signerChain[0]!.raw), attachments: o.attachments.map((a) => ({ size: a.length, sha256: sha256Hex(a) })) } }
  }
  try {
    openV1(c.envelope, m.agencies[c.recipient]!.encryptionKey)
  } catch (e) {
    const code = (e as { code?: string }).code
    if (code !== c.error) throw new Error(`${c.name}: open() says ${code}, the case expects ${c.error}`)
    return { peek, open: { error: code } }
  }
  throw new Error(`${c.name}: open() succeeded, the case expects ${c.error}`)
}

function receiptCases(): Array<{ name: string; description: string; receipt: Buffer; valid: boolean }> {
  const claims = (to: string) => ({ v: 1 as const, mid: mid(60), from: 'dga', to, receivedAt: '2026-11-25T03:04:06.000Z', envelopeSha256: sha256Hex(Buffer.from('envelope bytes')), profile: 'jose-v1' })
  const mof = m.agencies['mof']!.signer
  const header = { alg: 'ES256', typ: 'saraban-receipt+jws', x5c: x5cOf(mof.chain) }
  const es = signV1Receipt(claims('mof'), mof)
  // PROTOCOL.md §6.2, §20.5: a receipt with mof's checkpoint of a tree holding its message.received entry.
  const withLog = logOf(claims('mof'), mof)
  const checkpoint = withLog.log.checkpoint
  return [
    { name: 'valid-rs256', description: 'receipt signed by moi (RS256)', receipt: signV1Receipt(claims('moi'), m.agencies['moi']!.signer), valid: true },
    { name: 'valid-es256', description: 'receipt signed by mof (ES256)', receipt: es, valid: true },
    { name: 'tampered-signature', description: 'first signature character changed', receipt: tamperPart(es, 2, 0), valid: false },
    { name: 'alg-none', description: '"alg":"none", empty signature', receipt: craftJws({ ...header, alg: 'none' }, JSON.stringify(claims('mof')), undefined), valid: false },
    { name: 'extra-claim', description: 'a claim jose-v1 does not define, correctly signed', receipt: craftJws(header, JSON.stringify({ ...claims('mof'), extra: true }), mof.key), valid: false },
    { name: 'letter-typ', description: '"typ":"saraban-letter+jws", correctly signed', receipt: craftJws({ ...header, typ: 'saraban-letter+jws' }, JSON.stringify(claims('mof')), mof.key), valid: false },
    { name: 'valid-with-log', description: 'receipt signed by mof with "log": its checkpoint of a 3-entry tree whose entry 2 is the message.received entry of these claims (PROTOCOL.md §20.5)', receipt: signV1Receipt(withLog, mof), valid: true },
    { name: 'log-extra-member', description: '"log" with a member other than checkpoint and index, correctly signed', receipt: craftJws(header, JSON.stringify({ ...withLog, log: { ...withLog.log, size: 3 } }), mof.key), valid: false },
    { name: 'log-index-negative', description: '"log.index" is -1, correctly signed', receipt: craftJws(header, JSON.stringify({ ...withLog, log: { checkpoint, index: -1 } }), mof.key), valid: false },
    { name: 'duplicate-claim', description: 'the claims name "receivedAt" twice, correctly signed (RFC 7493 I-JSON, PROTOCOL.md §5.6)', receipt: craftJws(header, JSON.stringify(claims('mof')).replace('"profile"', `"receivedAt":"2001-01-01T00:00:00.000Z","profile"`), mof.key), valid: false },
  ]
}

function writeDir(dir: string, files: Array<[string, unknown]>): void {
  mkdirSync(dir, { recursive: true })
  for (const f of readdirSync(dir)) if (f.endsWith('.json')) rmSync(join(dir, f))
  for (const [name, body] of files) writeFileSync(join(dir, name), JSON.stringify(body, null, 2) + '\n')
}

if (!process.argv.includes('--receipts')) writeDir(join(OUT, 'envelopes'), CASES.map((c, i) => [`${String(i + 1).padStart(2, '0')}-${c.name}.json`, {
  profile: 'jose-v1', description: c.description, contentType: 'application/jose', recipient: c.recipient,
  envelopeSha256: sha256Hex(c.envelope), expect: expectOf(c), envelope: c.envelope.toString('latin1'),
}]))
writeDir(join(OUT, 'receipts'), receiptCases().map((r, i) => [`${String(i + 1).padStart(2, '0')}-${r.name}.json`, {
  profile: 'jose-v1', description: r.description,
  expect: r.valid ? { claims: JSON.parse(Buffer.from(r.receipt.toString('latin1').split('.')[1]!, 'base64url').toString('utf8')), signerLeafSha256: sha256Hex(Buffer.from(JSON.parse(Buffer.from(r.receipt.toString('latin1').split('.')[0]!, 'base64url').toString()).x5c[0], 'base64')) } : { error: 'ERR_RECEIPT_INVALID' },
  receipt: r.receipt.toString('latin1'),
}]))
console.log(`wrote ${CASES.length} envelope and ${receiptCases().length} receipt vectors to ${OUT}`)
