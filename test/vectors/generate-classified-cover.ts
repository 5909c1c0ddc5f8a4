// Generates the jose-v1 vectors of a classified cover (PROTOCOL.md §19.3) in the envelope format of
// test/vectors/README.md: the outer envelope, opened with keys.json, carries as its one attachment an
// inner envelope of test/vectors/classified/ (PROTOCOL.md §19.2), which the vector officers' keys
// there open. So another implementation checks the whole chain: outer envelope → cover → inner
// envelope → classified letter. Writes only cN-classified-*.json.
//   npx tsx test/vectors/generate-classified-cover.ts
import { createPrivateKey, X509Certificate } from 'node:crypto'
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { openV1, sealV1 } from '../../src/crypto/jose/v1-profile.js'
import { parseV1Envelope } from '../../src/crypto/jose/v1-header.js'
import type { ErrorCode } from '../../src/errors.js'
import type { SealInput } from '../../src/crypto/profiles.js'
import { openInner } from '../../src/classified/inner/open.js'
import { keyObjectHandle } from '../../src/crypto/keys/handle.js'
import { sha256Hex } from './fixtures.js'
import { materialFromKeysFile, type KeysFile } from './material.js'

const OUT = fileURLToPath(new URL('./jose-v1/envelopes/', import.meta.url))
const CLASSIFIED = fileURLToPath(new URL('./classified/', import.meta.url))
const m = materialFromKeysFile(JSON.parse(readFileSync(fileURLToPath(new URL('./jose-v1/keys.json', import.meta.url)), 'utf8')) as KeysFile)
const mid = (n: number): string => `5a2a0ba0-0000-4000-8000-${String(n).padStart(12, '0')}`
const SENT_AT = '2026-11-25T03:20:00.000Z'

const inner01 = readFileSync(join(CLASSIFIED, 'inner', '01-secret-two-signers.p7m'))
const altered = Buffer.from(inner01)
altered[altered.length - 100]! ^= 0x01 // same size, other bytes: what a swap or an alteration in transit looks like
const mofRegistrar = {
  handle: keyObjectHandle(createPrivateKey(readFileSync(join(CLASSIFIED, 'keys', 'mof-registrar.enc.key.pem')))),
  certificate: new X509Certificate(readFileSync(join(CLASSIFIED, 'keys', 'mof-registrar.enc.crt.pem'))),
}
const { controlNumber } = openInner(inner01, mofRegistrar).letter

function cover(inner: Buffer): object {
  return {
    controlNumber, addressee: { officer: 'registrar', position: 'ปลัดกระทรวงการคลัง' }, urgency: 'VERY_URGENT', dispatch: 'electronic',
    attachments: [{ id: 'inner', mediaType: 'application/cms', size: inner.length, sha256: sha256Hex(inner) }],
  }
}
function input(n: number, signedFor: Buffer, carried: Buffer): SealInput {
  return { messageId: mid(n), from: 'moi', to: 'mof', sentAt: SENT_AT, letter: {}, classified: cover(signedFor), attachments: [carried], signer: m.agencies['moi']!.signer, recipientCert: m.agencies['mof']!.encryptionCert }
}

interface Case { name: string; description: string; envelope: Buffer; error?: ErrorCode }
const CASES: Case[] = [
  { name: 'classified-cover', description: `moi (RS256) to mof (ECDH-ES+A256KW): a cover (§19.3) whose one attachment is classified/inner/01 (control number ${controlNumber}); mof's registrar opens that with classified/keys`, envelope: sealV1(input(80, inner01, inner01)).envelope },
  { name: 'classified-inner-swapped', description: 'the signed cover names inner/01; the bundle carries inner/01 with one bit flipped (an inner envelope swapped or altered in transit, §19.11): refused', envelope: sealV1(input(81, inner01, altered)).envelope, error: 'ERR_ATTACHMENT_DIGEST_MISMATCH' },
]

function expectOf(c: Case): Record<string, unknown> {
  const peek = parseV1Envelope(c.envelope).header
  try {
    const o = openV1(c.envelope, m.agencies['mof']!.encryptionKey)
    if (c.error) throw new Error(`${c.name}: open() succeeded, the case expects ${c.error}`)
    return { peek, open: { payload: o.payload, signerLeafSha256: sha256Hex(o.signerChain[0]!.raw), attachments: o.attachments.map((a) => ({ size: a.length, sha256: sha256Hex(a) })) } }
  } catch (e) {
    const code = (e as { code?: string }).code
    if (code === undefined || code !== c.error) throw e
    return { peek, open: { error: code } }
  }
}

for (const f of readdirSync(OUT)) if (/^c\d+-classified-/.test(f)) rmSync(join(OUT, f))
CASES.forEach((c, i) => {
  writeFileSync(join(OUT, `c${i + 1}-${c.name}.json`), JSON.stringify({
    profile: 'jose-v1', description: c.description, contentType: 'application/jose', recipient: 'mof',
    envelopeSha256: sha256Hex(c.envelope), expect: expectOf(c), envelope: c.envelope.toString('latin1'),
  }, null, 2) + '\n')
})
console.log(`wrote ${CASES.length} classified cover vectors to ${OUT}`)
