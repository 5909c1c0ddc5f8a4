// Runs our jose-v1 implementation against every language-neutral vector in test/vectors/jose-v1/
// (format: test/vectors/README.md).
import t from 'tap'
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { joseV1 } from '../../src/crypto/jose/v1-profile.js'
import { profileForEnvelope } from '../../src/crypto/profiles.js'
import { materialFromKeysFile, type KeysFile } from '../vectors/material.js'
import { disputeProblem, type Notice } from '../../src/domain/notices.js'
import { check, schemaIds } from '../../src/schema/index.js'

const DIR = fileURLToPath(new URL('../vectors/jose-v1/', import.meta.url))
const read = (path: string) => JSON.parse(readFileSync(DIR + path, 'utf8'))
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex')
const m = materialFromKeysFile(read('keys.json') as KeysFile)

const envelopes = readdirSync(DIR + 'envelopes').filter((f) => f.endsWith('.json')).sort()
const receipts = readdirSync(DIR + 'receipts').filter((f) => f.endsWith('.json')).sort()
t.ok(envelopes.length >= 20 && receipts.length >= 5, 'vectors are present')

for (const f of envelopes) {
  t.test(`envelope ${f}`, async (t) => {
    const v = read(`envelopes/${f}`)
    const envelope = Buffer.from(v.envelope, 'latin1')
    t.equal(sha256(envelope), v.envelopeSha256)
    if ('error' in v.expect.peek) {
      t.throws(() => profileForEnvelope(v.contentType, envelope).peek(envelope), { code: v.expect.peek.error })
    } else {
      t.same(profileForEnvelope(v.contentType, envelope).peek(envelope), v.expect.peek)
    }
    const key = m.agencies[v.recipient]!.encryptionKey
    if ('error' in v.expect.open) {
      await t.rejects(joseV1.open(envelope, key), { code: v.expect.open.error })
      return
    }
    const o = await joseV1.open(envelope, key)
    t.strictSame(o.payload, v.expect.open.payload)
    t.equal(sha256(o.signerChain[0]!.raw), v.expect.open.signerLeafSha256)
    t.same(o.attachments.map((a) => ({ size: a.length, sha256: sha256(a) })), v.expect.open.attachments)
    if (v.expect.notice) {
      // PROTOCOL.md §18.5 check 4 (a dispute against the acceptance the receiver sent), beyond the envelope.
      const notice = (o.payload as { notice: Notice }).notice
      t.ok(check(schemaIds.notice, notice, '/notice').ok, 'the notice validates')
      const problem = disputeProblem(notice, v.expect.notice.acceptance as Notice)
      t.same(problem && { code: problem.code, field: problem.field }, v.expect.notice.error ? { code: v.expect.notice.error, field: v.expect.notice.field } : undefined)
    }
  })
}

for (const f of receipts) {
  t.test(`receipt ${f}`, async (t) => {
    const v = read(`receipts/${f}`)
    const receipt = Buffer.from(v.receipt, 'latin1')
    if ('error' in v.expect) {
      await t.rejects(joseV1.verifyReceipt(receipt), { code: v.expect.error })
      return
    }
    const r = await joseV1.verifyReceipt(receipt)
    t.strictSame(r.claims, v.expect.claims)
    t.equal(sha256(r.signerChain[0]!.raw), v.expect.signerLeafSha256)
  })
}

t.test('key material: the signing chains and encryption certificates match their private keys', async (t) => {
  for (const [id, a] of Object.entries(m.agencies)) {
    t.ok(a.signer.chain[0]!.checkPrivateKey(a.signer.key), `${id} signing`)
    t.ok(a.encryptionCert.checkPrivateKey(a.encryptionKey), `${id} encryption`)
    t.ok(a.signer.chain.at(-1)!.checkIssued(m.root), `${id} chain ends below the root`)
  }
})
