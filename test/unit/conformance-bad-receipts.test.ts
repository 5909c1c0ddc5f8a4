// The conformance kit's bad receipts (src/conformance/bad-receipts.ts) are bad in exactly the way
// their row says, in every receipt family: a sender that checks them as PROTOCOL.md §6.3 says (here
// the reference implementation's checks: the media type of step 0, then checkReceipt) refuses each,
// and the §7.2 table's answer (retried or failed at once) is the row's. A good receipt made from the
// same context passes, so each refusal is the row's doing.
import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import { makeFederation, KIT_AGENCY } from '../../src/conformance/federation.js'
import { loadCredentials } from '../../src/conformance/credentials.js'
import { BAD_RECEIPTS, type ReceiptContext } from '../../src/conformance/bad-receipts.js'
import { checkReceipt } from '../../src/services/receipt-check.js'
import { defaultProfiles, type EnvelopeProfile } from '../../src/crypto/profiles.js'
import { sha256Hex } from '../../src/conformance/session.js'

const dir = mkdtempSync(join(tmpdir(), 'saraban-bad-receipts-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

t.test('each bad receipt fails the sender\'s §6.3 check as its §7.2 row says, in every profile', async (t) => {
  const made = await makeFederation(dir, { targetUrl: 'https://127.0.0.1:1' })
  const creds = await loadCredentials(made.credentials)
  const second = creds.second!
  const sentAt = new Date(Date.now() - 60_000).toISOString()
  const table = defaultProfiles()
  for (const profile of table.ids().map((id): EnvelopeProfile => table.get(id))) {
    const expected = { messageId: randomUUID(), from: made.targetAgency, to: KIT_AGENCY, envelopeSha256: sha256Hex(Buffer.from(profile.id)) }
    const c: ReceiptContext = {
      profile, sentAt,
      claims: { v: 1, mid: expected.messageId, from: expected.from, to: expected.to, receivedAt: new Date().toISOString(), envelopeSha256: expected.envelopeSha256, profile: profile.id },
      me: { agency: KIT_AGENCY, key: creds.me.signing.key, chain: creds.me.signing.chain },
      second: { agency: second.agency, key: second.signing.key, chain: second.signing.chain },
    }
    // The sender's verdict (services/delivery-attempt.ts): step 0, then steps 1 to 5.
    const verdict = async (r: { body: Buffer; mediaType: string }) => {
      if (r.mediaType !== profile.receiptMediaType) return { ok: false as const, retry: false, reason: 'media type' }
      return checkReceipt(r.body, expected, { profile, anchors: creds.anchors, directory: creds.directory, notAfter: Date.now() + 300_000, notBefore: Date.parse(sentAt) - 300_000 })
    }
    const good = await verdict({ body: await profile.signReceipt(c.claims, c.me), mediaType: profile.receiptMediaType })
    t.ok(good.ok, `${profile.id}: the good receipt of the same context passes`)
    for (const row of BAD_RECEIPTS) {
      const v = await verdict(row.make(c))
      t.equal(v.ok, false, `${profile.id}: ${row.title} is refused (${row.step})`)
      if (!v.ok) t.equal(v.retry, row.outcome === 'retried', `${profile.id}: ${row.title} is ${row.outcome} (§7.2): ${v.reason}`)
    }
  }
})
