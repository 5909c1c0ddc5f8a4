// Generates the jose-v1 notice vectors (PROTOCOL.md §18.2), beside the letter vectors of generate.ts
// and in their format (test/vectors/README.md), from the same keys.json. Writes only n*-notice-*.json,
// and only the files that do not exist yet (sealing is randomised: published bytes stay); --all
// rewrites every one.
//   npx tsx test/vectors/generate-notices.ts [--all]
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { openV1, sealV1 } from '../../src/crypto/jose/v1-profile.js'
import { parseV1Envelope } from '../../src/crypto/jose/v1-header.js'
import type { ErrorCode } from '../../src/errors.js'
import type { SealInput } from '../../src/crypto/profiles.js'
import { craftEnvelope, letterJws } from './craft.js'
import { sha256Hex } from './fixtures.js'
import { materialFromKeysFile, type KeysFile } from './material.js'

const OUT = fileURLToPath(new URL('./jose-v1/envelopes/', import.meta.url))
const m = materialFromKeysFile(JSON.parse(readFileSync(fileURLToPath(new URL('./jose-v1/keys.json', import.meta.url)), 'utf8')) as KeysFile)
const mid = (n: number): string => `5a2a0ba0-0000-4000-8000-${String(n).padStart(12, '0')}`
const SENT_AT = '2026-11-25T03:10:00.000Z'
const ABOUT = { messageId: mid(1), envelopeSha256: sha256Hex(Buffer.from('the letter envelope')), at: '2026-11-25T03:09:59.500Z' }
const ACCEPTED = { type: 'accepted', ...ABOUT, register: { book: 'receive', year: 2026, number: 152 } }
// The sender (moi) disputes mof's acceptance: exactly its register entry (§18.4), or another one.
const DISPUTED = { type: 'disputed', ...ABOUT, at: '2026-11-25T03:20:00.000Z', register: ACCEPTED.register, reason: 'เลขรับไม่ตรงกับทะเบียนของผู้ส่ง' }
const DISPUTED_OTHER = { ...DISPUTED, register: { ...ACCEPTED.register, number: 153 } }
const REJECTED = { type: 'rejected', ...ABOUT, reasonCode: 'wrong-agency', reason: 'เรื่องนี้อยู่ในอำนาจของกรมบัญชีกลาง' }

function input(n: number, from: string, to: string, notice: object): SealInput {
  return { messageId: mid(n), from, to, sentAt: SENT_AT, letter: {}, attachments: [], notice, signer: m.agencies[from]!.signer, recipientCert: m.agencies[to]!.encryptionCert }
}

/** §18.5 check 4, beyond the envelope: the acceptance the receiver sent, and its answer to the notice. */
interface NoticeCheck { acceptance: object; error?: ErrorCode; field?: string }
interface Case { name: string; description: string; recipient: string; envelope: Buffer; error?: ErrorCode; notice?: NoticeCheck }
const CASES: Case[] = [
  { name: 'notice-accepted', description: 'mof (ES256) tells moi (RSA-OAEP-256) it registered letter …0001 as receive number 152', recipient: 'moi', envelope: sealV1(input(70, 'mof', 'moi', ACCEPTED)).envelope },
  { name: 'notice-rejected', description: 'moi (RS256) tells mof (ECDH-ES+A256KW) it rejects letter …0001 (wrong-agency)', recipient: 'mof', envelope: sealV1(input(71, 'moi', 'mof', REJECTED)).envelope },
  {
    name: 'notice-and-letter', description: 'a payload with both `letter` and `notice`, correctly signed', recipient: 'moi', error: 'ERR_ENVELOPE_MALFORMED',
    envelope: craftEnvelope({ input: input(72, 'mof', 'moi', ACCEPTED), jws: letterJws(input(72, 'mof', 'moi', ACCEPTED), { payloadOver: { letter: {}, notice: ACCEPTED } }), tail: [] }),
  },
  {
    name: 'notice-not-object', description: '`notice` is an array, in place of `letter`, correctly signed', recipient: 'moi', error: 'ERR_ENVELOPE_MALFORMED',
    envelope: craftEnvelope({ input: input(73, 'mof', 'moi', ACCEPTED), jws: letterJws(input(73, 'mof', 'moi', ACCEPTED), { payloadOver: { letter: undefined, notice: [ACCEPTED] } }), tail: [] }),
  },
  {
    name: 'notice-with-bytes', description: 'a valid signed notice followed by bytes no manifest announces', recipient: 'moi', error: 'ERR_ENVELOPE_MALFORMED',
    envelope: craftEnvelope({ input: input(74, 'mof', 'moi', ACCEPTED), jws: letterJws(input(74, 'mof', 'moi', ACCEPTED), { payloadOver: { letter: undefined, notice: ACCEPTED } }), tail: [Buffer.from('extra')] }),
  },
  {
    name: 'notice-disputed', description: 'moi (RS256) disputes the receive number of mof\'s acceptance n1 of letter …0001, naming exactly its register entry', recipient: 'mof',
    envelope: sealV1(input(75, 'moi', 'mof', DISPUTED)).envelope, notice: { acceptance: ACCEPTED },
  },
  {
    name: 'notice-disputed-other-register', description: 'moi disputes receive number 153, but mof\'s acceptance gave 152: opens, refused by §18.5 check 4', recipient: 'mof',
    envelope: sealV1(input(76, 'moi', 'mof', DISPUTED_OTHER)).envelope, notice: { acceptance: ACCEPTED, error: 'ERR_NOTICE_INVALID', field: '/notice/register' },
  },
]

function expectOf(c: Case): Record<string, unknown> {
  const peek = parseV1Envelope(c.envelope).header
  try {
    const o = openV1(c.envelope, m.agencies[c.recipient]!.encryptionKey)
    if (c.error) throw new Error(`${c.name}: open() succeeded, the case expects ${c.error}`)
    return { peek, open: { payload: o.payload, signerLeafSha256: sha256Hex(o.signerChain[0]!.raw), attachments: [] } }
  } catch (e) {
    const code = (e as { code?: string }).code
    if (code === undefined || code !== c.error) throw e
    return { peek, open: { error: code } }
  }
}

const all = process.argv.includes('--all')
if (all) for (const f of readdirSync(OUT)) if (/^n\d+-notice-/.test(f)) rmSync(join(OUT, f))
let wrote = 0
CASES.forEach((c, i) => {
  const file = join(OUT, `n${i + 1}-${c.name}.json`)
  if (!all && existsSync(file)) return
  writeFileSync(file, JSON.stringify({
    profile: 'jose-v1', description: c.description, contentType: 'application/jose', recipient: c.recipient,
    envelopeSha256: sha256Hex(c.envelope), expect: { ...expectOf(c), ...(c.notice ? { notice: c.notice } : {}) }, envelope: c.envelope.toString('latin1'),
  }, null, 2) + '\n')
  wrote++
})
console.log(`wrote ${wrote} of ${CASES.length} notice vectors to ${OUT}`)
