// Generates the vectors of shared content by reference (PROTOCOL.md §17.8; format:
// test/vectors/README.md, "shared-ref/"): requests that carry a part of a circular without its shared
// bytes, derived from the many/ vectors, and the defects a receiver refuses.
//   npx tsx test/vectors/generate-shared-ref.ts   (after generate-many.ts)
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { defaultProfiles } from '../../src/crypto/profiles.js'

const DIR = fileURLToPath(new URL('./', import.meta.url))
const OUT = DIR + 'shared-ref/'
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex')
const table = defaultProfiles()

interface Base { file: string; profile: string; contentType: string; envelope: Buffer; envelopeSha256: string; start: number; end: number }
function base(file: string): Base {
  const v = JSON.parse(readFileSync(DIR + 'many/' + file, 'utf8'))
  const envelope = Buffer.from(v.envelope, v.profile === 'cms-v1' ? 'base64' : 'utf8')
  const span = table.forEnvelope(v.contentType, envelope).contentSpan(envelope)
  if (!span) throw new Error(`${file}: no shared content`)
  return { file, profile: v.profile, contentType: v.contentType, envelope, envelopeSha256: v.envelopeSha256, ...span }
}

const encode = (b: Base, body: Buffer) => (b.profile === 'cms-v1' ? body.toString('base64') : body.toString('utf8'))
function vector(b: Base, description: string, edit: (h: Record<string, string>, body: Buffer) => { headers: Record<string, string>; body: Buffer }, expect: object) {
  const shared = b.envelope.subarray(b.start, b.end)
  const body = Buffer.concat([b.envelope.subarray(0, b.start), b.envelope.subarray(b.end)])
  const headers = { 'Saraban-Shared-Sha256': sha256(shared), 'Saraban-Shared-Offset': String(b.start), 'Saraban-Shared-Length': String(shared.length) }
  const r = edit(headers, body)
  return {
    profile: b.profile, description, contentType: b.contentType,
    held: { vector: `many/${b.file}`, start: b.start, end: b.end, sha256: sha256(shared), from: 'moi' },
    request: { headers: r.headers, body: encode(b, r.body) },
    expect,
  }
}

const jose = base('03-jose-valid-v2-ec.json')
const cms = base('01-cms-valid-v2-ec.json')
const same = (h: Record<string, string>, body: Buffer) => ({ headers: h, body })
const files: Record<string, object> = {
  '01-jose-v2-by-reference.json': vector(jose, 'a jose-v2 part without its ciphertext text: the envelope is body[0, offset) ‖ held ‖ body[offset, …)', same, { envelopeSha256: jose.envelopeSha256 }),
  '02-cms-by-reference.json': vector(cms, 'a cms-v1 part without its encryptedContent octets', same, { envelopeSha256: cms.envelopeSha256 }),
  '03-missing-header.json': vector(jose, 'Saraban-Shared-Length missing', (h, body) => ({ headers: { 'Saraban-Shared-Sha256': h['Saraban-Shared-Sha256']!, 'Saraban-Shared-Offset': h['Saraban-Shared-Offset']! }, body }), { error: 'ERR_ENVELOPE_MALFORMED', field: 'Saraban-Shared-Length' }),
  '04-offset-beyond-body.json': vector(jose, 'an offset past the end of the body', (h, body) => ({ headers: { ...h, 'Saraban-Shared-Offset': String(body.length + 1) }, body }), { error: 'ERR_ENVELOPE_MALFORMED', field: 'Saraban-Shared-Offset' }),
  '05-leading-zero.json': vector(jose, 'a length written with a leading zero', (h, body) => ({ headers: { ...h, 'Saraban-Shared-Length': '0' + h['Saraban-Shared-Length'] }, body }), { error: 'ERR_ENVELOPE_MALFORMED', field: 'Saraban-Shared-Length' }),
  '06-not-held.json': vector(jose, 'a digest of content the receiver does not hold (one bit of the held digest flipped)', (h, body) => ({ headers: { ...h, 'Saraban-Shared-Sha256': (h['Saraban-Shared-Sha256']!.startsWith('0') ? '1' : '0') + h['Saraban-Shared-Sha256']!.slice(1) }, body }), { error: 'ERR_SHARED_CONTENT_UNKNOWN', field: 'Saraban-Shared-Sha256' }),
  '07-wrong-length.json': vector(jose, 'the held digest with another length', (h, body) => ({ headers: { ...h, 'Saraban-Shared-Length': String(Number(h['Saraban-Shared-Length']) - 4) }, body }), { error: 'ERR_SHARED_CONTENT_UNKNOWN', field: 'Saraban-Shared-Sha256' }),
}
rmSync(OUT, { recursive: true, force: true })
mkdirSync(OUT, { recursive: true })
for (const [name, v] of Object.entries(files)) writeFileSync(OUT + name, JSON.stringify(v, null, 2) + '\n')
console.log(`wrote ${Object.keys(files).length} vectors to ${OUT}`)
