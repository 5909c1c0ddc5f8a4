// Runs our cms-v1 and jose-v2 against every vector in test/vectors/many/ (PROTOCOL.md §17; format:
// test/vectors/README.md): parts of a letter sealed once for many, payload v2, and their defects.
import t from 'tap'
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { bindRouting, defaultProfiles } from '../../src/crypto/profiles.js'
import { materialFromKeysFile, type KeysFile } from '../vectors/material.js'

const DIR = fileURLToPath(new URL('../vectors/many/', import.meta.url))
const m = materialFromKeysFile(JSON.parse(readFileSync(fileURLToPath(new URL('../vectors/jose-v1/keys.json', import.meta.url)), 'utf8')) as KeysFile)
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex')
const table = defaultProfiles()
const files = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort()
t.ok(files.length >= 15, 'vectors are present')

for (const f of files) {
  t.test(f, async (t) => {
    const v = JSON.parse(readFileSync(DIR + f, 'utf8'))
    const envelope = Buffer.from(v.envelope, v.profile === 'cms-v1' ? 'base64' : 'utf8')
    t.equal(sha256(envelope), v.envelopeSha256)
    const profile = table.forEnvelope(v.contentType, envelope)
    t.equal(profile.id, v.profile, 'the Content-Type names the profile')
    if ('error' in v.expect.peek) t.throws(() => profile.peek(envelope, v.routing), { code: v.expect.peek.error }, 'peek')
    else t.same(profile.peek(envelope, v.routing), v.expect.peek, 'peek')
    const open = async () => {
      const o = await profile.open(envelope, m.agencies[v.recipient]!.encryptionKey)
      bindRouting(o.payload, v.routing) // §4.2 check 11, §17.3
      return o
    }
    if ('error' in v.expect.open) {
      await t.rejects(open(), { code: v.expect.open.error }, 'open')
      return
    }
    const o = await open()
    t.strictSame(o.payload, v.expect.open.payload)
    t.equal(sha256(o.signerChain[0]!.raw), v.expect.open.signerLeafSha256)
    t.equal(sha256(o.signature), v.expect.open.signatureSha256)
    t.same(o.attachments.map((a) => ({ size: a.length, sha256: sha256(a) })), v.expect.open.attachments)
  })
}

t.test('the valid parts of one circular share their signature', async (t) => {
  const valid = files.map((f) => JSON.parse(readFileSync(DIR + f, 'utf8'))).filter((v) => 'payload' in v.expect.open && v.expect.open.payload.v === 2)
  t.ok(valid.length >= 4)
  t.equal(new Set(valid.filter((v) => v.profile === 'cms-v1').map((v) => v.expect.open.signatureSha256)).size, 1, 'cms-v1: one SignedData signature')
  t.equal(new Set(valid.filter((v) => v.profile === 'jose-v2').map((v) => v.expect.open.signatureSha256)).size, 1, 'jose-v2: one JWS signature')
})
