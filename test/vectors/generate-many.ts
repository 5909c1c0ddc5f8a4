// Generates the vectors of letters sealed once for many recipients (PROTOCOL.md §17; format:
// test/vectors/README.md, "many/"): parts of one circular in cms-v1 and jose-v2 with the v2 payload,
// a jose-v2 envelope with a v1 payload, and defects (routing not vouched for, tampering, strictness).
//   npx tsx test/vectors/generate-many.ts
// Key material: test/vectors/jose-v1/keys.json (moi RSA 2048, mof and dga EC P-256).
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cmsV1 } from '../../src/crypto/cms/v1-profile.js'
import { joseV2 } from '../../src/crypto/jose/v2-profile.js'
import { bindRouting } from '../../src/crypto/payload.js'
import type { EnvelopeProfile, Routing, SealManyInput, SealsMany } from '../../src/crypto/profiles.js'
import { assembleEnvelope, signedLetter } from './cms-craft.js'
import { bytesOf, sampleLetter, sha256Hex } from './fixtures.js'
import { materialFromKeysFile, type KeysFile } from './material.js'

const OUT = fileURLToPath(new URL('./many/', import.meta.url))
const m = materialFromKeysFile(JSON.parse(readFileSync(fileURLToPath(new URL('./jose-v1/keys.json', import.meta.url)), 'utf8')) as KeysFile)
const PROFILES: Record<string, EnvelopeProfile> = { 'cms-v1': cmsV1, 'jose-v2': joseV2 }

const id = (n: number): string => `17000000-0000-4000-8000-${String(n).padStart(12, '0')}`
const SENT_AT = '2026-11-25T03:04:05.678Z'
const PDF = Buffer.concat([Buffer.from('%PDF-1.7\n% หนังสือเวียน (test bytes)\n'), bytesOf(3_000, 17)])

/** A circular from moi to `recipients` (+ copyTo), parts for `parts` (agency → whose certificate). */
function circular(lid: number, recipients: string[], copyTo: string[], parts: Array<[to: string, certOf: string]>): SealManyInput {
  const letter = { ...sampleLetter('moi', recipients[0]!, [PDF]), recipients: recipients.map((agency) => ({ agency })), copyTo: copyTo.map((agency) => ({ agency })) }
  return {
    letterId: id(lid), from: 'moi', sentAt: SENT_AT, letter, attachments: [PDF], signer: m.agencies['moi']!.signer,
    recipients: parts.map(([to, certOf], i) => ({ messageId: id(lid * 100 + i + 1), to, cert: m.agencies[certOf]!.encryptionCert })),
  }
}

interface Case { name: string; description: string; profile: string; recipient: string; routing: Routing; envelope: Buffer; error?: { peek?: string; open?: string } }

const CIRCULAR = circular(1, ['mof', 'dga'], ['moi'], [['mof', 'mof'], ['dga', 'dga'], ['moi', 'moi']])
const MISADDRESSED = circular(2, ['mof', 'dga'], [], [['mof', 'moi'], ['dga', 'dga']]) // the part for "mof" encrypted to moi's key: moi is not addressed
const parts = async (profile: string, input: SealManyInput) => {
  const s = await (PROFILES[profile] as EnvelopeProfile & SealsMany).sealMany(input)
  return s.parts.map((p) => ({ ...p, envelope: Buffer.concat([p.head, s.shared, p.tail]), headLength: p.head.length }))
}
const route = (p: { messageId: string; to: string }, over: Partial<Routing> = {}): Routing => ({ messageId: p.messageId, from: 'moi', to: p.to, ...over })
const flipAt = (b: Buffer, at: number): Buffer => {
  const c = Buffer.from(b)
  c[at] = c[at] === 0x41 ? 0x42 : 0x41 // stays base64url for jose-v2; any change for cms-v1
  return c
}
const jsonEdit = (env: Buffer, f: (s: string) => string): Buffer => Buffer.from(f(env.toString('utf8')), 'utf8')

async function cases(): Promise<Case[]> {
  const cms = await parts('cms-v1', CIRCULAR)
  const jose = await parts('jose-v2', CIRCULAR)
  const single = await joseV2.seal({ messageId: id(301), from: 'moi', to: 'dga', sentAt: SENT_AT, letter: sampleLetter('moi', 'dga', [PDF]), attachments: [PDF], signer: m.agencies['moi']!.signer, recipientCert: m.agencies['dga']!.encryptionCert })
  const lidLess = { messageId: id(401), from: 'moi', to: 'mof', sentAt: SENT_AT, letter: sampleLetter('moi', 'mof', [PDF]), attachments: [PDF], signer: m.agencies['moi']!.signer, recipientCert: m.agencies['mof']!.encryptionCert }
  const crafted = (over: Record<string, unknown>) => assembleEnvelope({ plaintext: [signedLetter(lidLess, { over }), PDF], recipient: lidLess.recipientCert })
  const [cmsMis] = await parts('cms-v1', MISADDRESSED)
  const [joseMis] = await parts('jose-v2', MISADDRESSED)
  const c = (profile: string, name: string, description: string, recipient: string, p: { envelope: Buffer; messageId: string; to: string }, routing: Routing = route(p), error?: Case['error']): Case =>
    ({ name, description, profile, recipient, routing, envelope: p.envelope, ...(error ? { error } : {}) })
  return [
    c('cms-v1', 'cms-valid-v2-ec', 'cms-v1 part of a circular (payload v2) for a recipient with an EC key (KARI)', 'mof', cms[0]!),
    c('cms-v1', 'cms-valid-v2-rsa-copyto', 'cms-v1 part for a copyTo addressee with an RSA key (KTRI)', 'moi', cms[2]!),
    c('jose-v2', 'jose-valid-v2-ec', 'jose-v2 part of the same circular for an EC recipient (ECDH-ES+A256KW)', 'dga', jose[1]!),
    c('jose-v2', 'jose-valid-v2-rsa-copyto', 'jose-v2 part for a copyTo addressee with an RSA key (RSA-OAEP-256)', 'moi', jose[2]!),
    c('jose-v2', 'jose-valid-v1-single', 'jose-v2 envelope of a letter to one recipient: payload v1', 'dga', { envelope: single.envelope, messageId: id(301), to: 'dga' }),
    c('jose-v2', 'jose-valid-whitespace', 'jose-v2 part re-serialized with JSON whitespace and another member order', 'mof', { ...jose[0]!, envelope: Buffer.from(JSON.stringify(JSON.parse(jose[0]!.envelope.toString()), ['tag', 'iv', 'header', 'alg', 'x5t#S256', 'epk', 'kty', 'crv', 'x', 'y', 'srb_mid', 'srb_from', 'srb_to', 'encrypted_key', 'protected', 'ciphertext'], 1)) }),
    c('cms-v1', 'cms-routed-other-sender', 'routing names dga as sender; the signed from is moi', 'mof', cms[0]!, route(cms[0]!, { from: 'dga' }), { open: 'ERR_ENVELOPE_HEADER_MISMATCH' }),
    c('cms-v1', 'cms-routed-not-addressed', 'routed to moi, whose key opens it, but the signed letter addresses only mof', 'moi', cmsMis!, route(cmsMis!, { to: 'moi' }), { open: 'ERR_ENVELOPE_HEADER_MISMATCH' }),
    c('jose-v2', 'jose-srb-from-other', 'srb_from rewritten to dga (the per-recipient header is not in the AAD)', 'mof', { ...jose[0]!, envelope: jsonEdit(jose[0]!.envelope, (s) => s.replace('"srb_from":"moi"', '"srb_from":"dga"')) }, route(jose[0]!, { from: 'dga' }), { open: 'ERR_ENVELOPE_HEADER_MISMATCH' }),
    c('jose-v2', 'jose-srb-to-not-addressed', 'srb_to rewritten to moi, whose key opens it; the letter addresses only mof', 'moi', { ...joseMis!, envelope: jsonEdit(joseMis!.envelope, (s) => s.replace('"srb_to":"mof"', '"srb_to":"moi"')) }, route(joseMis!, { to: 'moi' }), { open: 'ERR_ENVELOPE_HEADER_MISMATCH' }),
    c('cms-v1', 'cms-tampered-shared', 'one byte of the shared ciphertext changed', 'mof', { ...cms[0]!, envelope: flipAt(cms[0]!.envelope, cms[0]!.headLength + 100) }, route(cms[0]!), { open: 'ERR_DECRYPT_FAILED' }),
    c('jose-v2', 'jose-tampered-shared', 'one character of the shared ciphertext changed', 'dga', { ...jose[1]!, envelope: flipAt(jose[1]!.envelope, jose[1]!.headLength + 100) }, route(jose[1]!), { open: 'ERR_DECRYPT_FAILED' }),
    c('jose-v2', 'jose-srb-v-1', 'protected header with srb_v 1 (jose-v1 is compact only)', 'mof', { ...jose[0]!, envelope: jsonEdit(jose[0]!.envelope, (s) => s.replace(/"protected":"[^"]*"/, `"protected":"${Buffer.from('{"enc":"A256GCM","typ":"saraban-envelope+jwe","cty":"saraban-bundle","srb_v":1}').toString('base64url')}"`)) }, route(jose[0]!), { peek: 'ERR_PROFILE_UNSUPPORTED', open: 'ERR_PROFILE_UNSUPPORTED' }),
    c('jose-v2', 'jose-member-twice', 'the iv member twice', 'mof', { ...jose[0]!, envelope: jsonEdit(jose[0]!.envelope, (s) => s.replace('{"ciphertext"', `{"iv":"AAAAAAAAAAAAAAAA","ciphertext"`)) }, route(jose[0]!), { peek: 'ERR_ENVELOPE_MALFORMED', open: 'ERR_ENVELOPE_MALFORMED' }),
    c('jose-v2', 'jose-aad-member', 'an aad member (jose-v2 has none)', 'mof', { ...jose[0]!, envelope: jsonEdit(jose[0]!.envelope, (s) => s.replace('{"ciphertext"', '{"aad":"AA","ciphertext"')) }, route(jose[0]!), { peek: 'ERR_ENVELOPE_MALFORMED', open: 'ERR_ENVELOPE_MALFORMED' }),
    c('cms-v1', 'cms-payload-v3', 'signed payload with "v": 3', 'mof', { envelope: crafted({ v: 3 }), messageId: id(401), to: 'mof' }, undefined, { open: 'ERR_PROFILE_UNSUPPORTED' }),
    c('cms-v1', 'cms-payload-v2-with-to', 'a v2 payload that also carries to', 'mof', { envelope: crafted({ v: 2, mid: undefined, lid: id(402) }), messageId: id(401), to: 'mof' }, undefined, { open: 'ERR_ENVELOPE_MALFORMED' }),
    c('cms-v1', 'cms-payload-v2-bad-lid', 'a v2 payload whose lid is not a lowercase UUID', 'mof', { envelope: crafted({ v: 2, mid: undefined, to: undefined, lid: 'ABCDEF00-0000-4000-8000-000000000403' }), messageId: id(401), to: 'mof' }, undefined, { open: 'ERR_ENVELOPE_MALFORMED' }),
  ]
}

/** open = decrypt + verify + §17.3 binding (what §4.2 checks 8–12 decide). */
export async function openBound(profile: EnvelopeProfile, envelope: Buffer, routing: Routing, key: Parameters<EnvelopeProfile['open']>[1]) {
  const o = await profile.open(envelope, key)
  bindRouting(o.payload, routing)
  return o
}

const outcome = async (f: () => unknown): Promise<unknown> => {
  try {
    return await f()
  } catch (e) {
    return { error: (e as { code?: string }).code ?? String(e) }
  }
}

mkdirSync(OUT, { recursive: true })
for (const f of readdirSync(OUT)) if (f.endsWith('.json')) rmSync(join(OUT, f))
const all = await cases()
for (const [i, k] of all.entries()) {
  const profile = PROFILES[k.profile]!
  const key = m.agencies[k.recipient]!.encryptionKey
  const peek = await outcome(() => profile.peek(k.envelope, k.routing))
  const opened = await outcome(async () => {
    const o = await openBound(profile, k.envelope, k.routing, key)
    return { payload: o.payload, signerLeafSha256: sha256Hex(o.signerChain[0]!.raw), signatureSha256: sha256Hex(o.signature), attachments: o.attachments.map((a) => ({ size: a.length, sha256: sha256Hex(a) })) }
  })
  const want = k.error ?? {}
  for (const [what, got] of [['peek', peek], ['open', opened]] as const) {
    const code = (got as { error?: string }).error
    if (code !== want[what]) throw new Error(`${k.name}: ${what} says ${code ?? 'ok'}, the case expects ${want[what] ?? 'ok'}`)
  }
  writeFileSync(join(OUT, `${String(i + 1).padStart(2, '0')}-${k.name}.json`), JSON.stringify({
    profile: k.profile, description: k.description, contentType: profile.mediaType, recipient: k.recipient, routing: k.routing,
    envelopeSha256: sha256Hex(k.envelope), expect: { peek, open: opened },
    envelope: k.profile === 'cms-v1' ? k.envelope.toString('base64') : k.envelope.toString('utf8'),
  }, null, 2) + '\n')
}
console.log(`wrote ${all.length} vectors to ${OUT}`)
