// The crypto-only ceiling: everything cryptographic one letter costs, end to end, on one core,
// with no I/O: seal (sign + encrypt), open (decrypt + verify), receipt sign and verify.
import { createHash, randomUUID } from 'node:crypto'
import { defaultProfiles } from '../../src/crypto/profiles.js'
import { testFederation } from '../helpers/federation.js'

export async function cryptoCeiling(opts: { from: string; to: string; letter: Record<string, unknown>; pdf: Buffer; rounds: number }) {
  const fed = await testFederation()
  const profile = defaultProfiles().get('jose-v1')
  const s = fed.agencies[opts.from]!, r = fed.agencies[opts.to]!
  const signer = { agency: opts.from, key: s.signing.key, chain: s.signing.chain }
  const receiptSigner = { agency: opts.to, key: r.signing.key, chain: r.signing.chain }
  const manifest = [{ id: 'a1', filename: 'letter.pdf', mediaType: 'application/pdf', size: opts.pdf.length, sha256: '' }]
  const t = { seal: 0, open: 0, receiptSign: 0, receiptVerify: 0 }
  const run = async (record: boolean) => {
    let a = performance.now()
    // The sender hashes the attachment to build the manifest: part of the cost of a letter.
    manifest[0]!.sha256 = createHash('sha256').update(opts.pdf).digest('hex')
    const mid = randomUUID()
    const letter = { ...opts.letter, sender: { agency: opts.from, name: 'x' }, attachments: manifest }
    const sealed = await profile.seal({ messageId: mid, from: opts.from, to: opts.to, sentAt: new Date().toISOString(), letter, attachments: [opts.pdf], signer, recipientCert: r.encryption.cert })
    let b = performance.now(); if (record) t.seal += b - a; a = b
    await profile.open(sealed.envelope, r.encryption.key)
    b = performance.now(); if (record) t.open += b - a; a = b
    const receipt = await profile.signReceipt({ v: 1, mid, from: opts.from, to: opts.to, receivedAt: new Date().toISOString(), envelopeSha256: sealed.envelopeSha256, profile: profile.id }, receiptSigner)
    b = performance.now(); if (record) t.receiptSign += b - a; a = b
    await profile.verifyReceipt(receipt)
    b = performance.now(); if (record) t.receiptVerify += b - a
  }
  for (let i = 0; i < 30; i++) await run(false)
  for (let i = 0; i < opts.rounds; i++) await run(true)
  const total = t.seal + t.open + t.receiptSign + t.receiptVerify
  return {
    perSecond: (opts.rounds * 1000) / total,
    breakdownMs: {
      'seal (sign+encrypt)': t.seal / opts.rounds,
      'open (decrypt+verify)': t.open / opts.rounds,
      'receipt sign': t.receiptSign / opts.rounds,
      'receipt verify': t.receiptVerify / opts.rounds,
    },
  }
}
