// Runs this implementation against every cms-v1 test vector (test/vectors/cms-v1, PROTOCOL.md §10,
// §12): peek, open with the recipient's key plus the routing binding (§12.7), and receipts (§12.6).
import t from 'tap'
import { createPrivateKey } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { cmsV1 } from '../../src/crypto/cms/v1-profile.js'
import { sha256Hex } from '../vectors/fixtures.js'

const DIR = fileURLToPath(new URL('../vectors/cms-v1/', import.meta.url))
const keys = JSON.parse(readFileSync(DIR + 'keys.json', 'utf8'))
const load = (sub: string) => readdirSync(DIR + sub).filter((f) => f.endsWith('.json')).sort().map((f) => ({ f, v: JSON.parse(readFileSync(`${DIR}${sub}/${f}`, 'utf8')) }))

const codeOf = async (fn: () => unknown): Promise<string | undefined> => {
  try {
    await fn()
    return undefined
  } catch (e) {
    return (e as { code?: string }).code ?? String(e)
  }
}

const envelopes = load('envelopes')
t.equal(envelopes.length, 33)
for (const { f, v } of envelopes) {
  t.test(f, async (t) => {
    const envelope = Buffer.from(v.envelope, 'base64')
    t.equal(sha256Hex(envelope), v.envelopeSha256)
    const routing = v.routing ?? undefined
    if (v.expect.peek.error) t.equal(await codeOf(() => cmsV1.peek(envelope, routing)), v.expect.peek.error, 'peek')
    else t.strictSame(cmsV1.peek(envelope, routing), v.expect.peek, 'peek')
    const open = async () => {
      const h = cmsV1.peek(envelope, routing)
      // §12.7 step 7, §17.3: the routing is bound inside open, before the attachments are framed.
      return cmsV1.open(envelope, createPrivateKey(keys.agencies[v.recipient].encryption.privateKey), h)
    }
    // Issue 16 item 2: opened with the attachments hashed and not kept, the same answer without their bytes.
    const hashed = async () => cmsV1.openHashed!(envelope, createPrivateKey(keys.agencies[v.recipient].encryption.privateKey), cmsV1.peek(envelope, routing))
    if (v.expect.open.error) {
      t.equal(await codeOf(open), v.expect.open.error, 'open')
      t.equal(await codeOf(hashed), v.expect.open.error, 'openHashed')
      return
    }
    const o = await open()
    const h = await hashed()
    t.strictSame(h.payload, o.payload, 'openHashed: the payload')
    t.equal(h.signedBytes, o.signedBytes, 'openHashed: the signed bytes')
    // A bundle the hashed framing does not follow (e.g. OpenSSL's BER, indefinite lengths) is opened whole.
    const whole = o.attachments.map((a) => sha256Hex(a))
    t.ok(h.attachments.length === 0 || JSON.stringify(h.attachments.map((a) => sha256Hex(a))) === JSON.stringify(whole), 'openHashed: no attachment bytes kept, or the same ones')
    if (!f.includes('streamed')) t.same(h.attachments, [], 'openHashed: a DER bundle keeps no attachment bytes')
    t.strictSame(o.payload, v.expect.open.payload)
    t.equal(sha256Hex(o.signerChain[0]!.raw), v.expect.open.signerLeafSha256)
    t.equal(sha256Hex(o.signature), v.expect.open.signatureSha256)
    t.strictSame(o.attachments.map((a) => ({ size: a.length, sha256: sha256Hex(a) })), v.expect.open.attachments)
  })
}

const receipts = load('receipts')
t.equal(receipts.length, 11)
for (const { f, v } of receipts) {
  t.test(`receipt ${f}`, async (t) => {
    const receipt = Buffer.from(v.receipt, 'base64')
    if (v.expect.error) {
      t.equal(await codeOf(() => cmsV1.verifyReceipt(receipt)), v.expect.error)
      return
    }
    const r = await cmsV1.verifyReceipt(receipt)
    t.strictSame(r.claims, v.expect.claims)
    t.equal(sha256Hex(r.signerChain[0]!.raw), v.expect.signerLeafSha256)
  })
}
