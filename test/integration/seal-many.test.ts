// Letters sealed once for many recipients (PROTOCOL.md §17) against a running node over real mTLS:
// a part is accepted (also by a copyTo addressee) with a receipt that binds its message id and bytes;
// a retry is answered with the same receipt; the same letter under a new message id is refused
// (§17.5); another agency cannot pass a part on (§17.4: check 6, then the signed sender).
import t from 'tap'
import { randomUUID } from 'node:crypto'
import { cmsV1 } from '../../src/crypto/cms/v1-profile.js'
import { joseV2 } from '../../src/crypto/jose/v2-profile.js'
import type { EnvelopeProfile, SealsMany } from '../../src/crypto/profiles.js'
import { call, federationPost, testNet } from '../helpers/nodes.js'
import { bytesOf, sealManyInput } from '../vectors/fixtures.js'

const PROFILES: Array<EnvelopeProfile & SealsMany> = [cmsV1, joseV2]
const attachment = Buffer.concat([Buffer.from('%PDF-1.7\n'), bytesOf(200_000, 9)])

for (const profile of PROFILES) {
  t.test(`${profile.id}: parts of one circular at a running node`, async (t) => {
    const net = await testNet(['moi', 'mof', 'dga'], { profiles: [profile.id] })
    t.teardown(() => net.stop())
    await net.nodes.mof!.start()
    const input = sealManyInput(net.fed, 'moi', ['dga'], [attachment], { copyTo: ['mof'], sentAt: new Date().toISOString() })
    const sealed = await profile.sealMany(input)
    const part = sealed.parts.find((p) => p.to === 'mof')!
    const body = Buffer.concat([part.head, sealed.shared, part.tail])
    // jose-v2 names the routing in its unprotected per-recipient header: a re-router rewrites it there too.
    const reroute = (r: { messageId: string; from: string }): Buffer => profile.id !== 'jose-v2' ? body : Buffer.concat([part.head, sealed.shared,
      Buffer.from(part.tail.toString('utf8').replace(`"srb_mid":"${part.messageId}"`, `"srb_mid":"${r.messageId}"`).replace('"srb_from":"moi"', `"srb_from":"${r.from}"`))])
    const post = (as: 'moi' | 'dga', routing: { messageId: string; from: string; to: string }) => federationPost(net.nodes.mof!.federationPort, {
      key: net.fed.agencies[as]!.tls.keyPem, cert: net.fed.agencies[as]!.tls.chainPem, ca: net.fed.root.certPem, body: reroute(routing), contentType: sealed.mediaType, routing,
    })
    const codeOf = (r: { body: Buffer }) => JSON.parse(r.body.toString()).code as string

    const res = await post('moi', { messageId: part.messageId, from: 'moi', to: 'mof' })
    t.equal(res.status, 201, res.status === 201 ? 'a copyTo addressee accepts its part' : res.body.toString())
    const receipt = await profile.verifyReceipt(res.body)
    t.match(receipt.claims, { mid: part.messageId, from: 'moi', to: 'mof', envelopeSha256: part.envelopeSha256, profile: profile.id }, 'the receipt binds the message id and the exact part bytes')
    const got = await call(net.nodes.mof!, 'GET', `/api/v1/inbox/${part.messageId}`)
    t.equal(got.status, 200)
    t.equal(got.body.letter.subject, (input.letter as { subject?: string }).subject)

    const again = await post('moi', { messageId: part.messageId, from: 'moi', to: 'mof' })
    t.equal(again.status, 200, 'a retry (same id, same bytes) gets the first receipt (§7.1)')
    t.ok(again.body.equals(res.body), 'byte for byte')

    const copy = await post('moi', { messageId: randomUUID(), from: 'moi', to: 'mof' })
    t.equal(copy.status, 409, 'the same letter under a new message id is refused (§17.5)')
    t.equal(codeOf(copy), 'ERR_LETTER_DUPLICATE')

    const forwarded = await post('dga', { messageId: randomUUID(), from: 'moi', to: 'mof' })
    t.equal(forwarded.status, 403, 'dga, an addressee, cannot pass the part on as moi (§4.2 check 6)')
    t.equal(codeOf(forwarded), 'ERR_SENDER_MISMATCH')
    const asItself = await post('dga', { messageId: randomUUID(), from: 'dga', to: 'mof' })
    t.equal(asItself.status, 400, 'nor as itself: the signed sender is moi (§4.2 check 11)')
    t.equal(codeOf(asItself), 'ERR_ENVELOPE_HEADER_MISMATCH')

    const inbox = await call(net.nodes.mof!, 'GET', '/api/v1/inbox')
    t.equal(inbox.status, 200)
    t.equal(inbox.body.items.length, 1, 'the inbox holds the letter once')
  })
}
