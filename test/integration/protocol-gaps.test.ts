// Issue 15 items 1–7 over real mTLS: the gaps a second implementation found. A receiver refuses a
// sentAt outside its window and a signed text with a member twice, says one thing for every
// decryption failure, judges TLS chains as it judges x5c chains, and does not echo OpenSSL; a sender
// reports what is wrong with a receipt, checks its media type, and fails the recipient at once when
// a retry can only bring the same receipt back (PROTOCOL.md §7.2).
import t, { type Test } from 'tap'
import { createHash, randomUUID, type KeyObject } from 'node:crypto'
import { createServer, type Server } from 'node:https'
import { testNet, federationPost, thaiLetter, call, waitFor, type TestNet } from '../helpers/nodes.js'
import { foreignFederation } from '../helpers/federation.js'
import type { SealInput } from '../../src/crypto/types.js'
import { craftEnvelope, craftJws, letterJws, payloadOf, x5cOf } from '../vectors/craft.js'
import { signV1Receipt } from '../../src/crypto/jose/v1-receipt.js'

let net: TestNet
t.before(async () => {
  net = await testNet(['moi', 'mof', 'dga'], { delivery: { initialBackoffMs: 60_000, maxBackoffMs: 60_000 } })
  await net.nodes.mof!.start()
})
t.teardown(async () => net?.stop())

const letterFor = (to: string) => ({ ...thaiLetter([to]), sender: { agency: 'moi', name: 'กระทรวงมหาดไทย' }, attachments: [] })

function input(over: Partial<SealInput> = {}): SealInput {
  const a = net.fed.agencies.moi!
  return {
    messageId: randomUUID(), from: 'moi', to: 'mof', sentAt: new Date().toISOString(), letter: letterFor('mof'), attachments: [],
    signer: { agency: 'moi', key: a.signing.key, chain: a.signing.chain }, recipientCert: net.fed.agencies.mof!.encryption.cert, ...over,
  }
}

function identity(agency: string, leafOnly = false) {
  const tls = net.fed.agencies[agency]!.tls
  return { key: tls.keyPem, cert: leafOnly ? tls.certPem : tls.chainPem, ca: net.fed.root.certPem }
}

const algOf = (key: KeyObject) => (key.asymmetricKeyType === 'rsa' ? 'RS256' : 'ES256')
const problem = (res: { body: Buffer }) => JSON.parse(res.body.toString()) as { code: string; field?: string; detail?: string }
const inboxSize = () => net.nodes.mof!.ctx!.inbox.list({ agencies: ['mof'], limit: 100 }).length

async function refused(t: Test, res: { status: number; body: Buffer }, status: number, code: string, field?: string) {
  t.equal(res.status, status, res.body.toString())
  t.equal(problem(res).code, code)
  if (field !== undefined) t.equal(problem(res).field, field)
}

t.test('item 2: a sentAt outside the window is refused, nothing stored', async (t) => {
  const before = inboxSize()
  for (const sentAt of ['2099-01-01T00:00:00.000Z', '2001-01-01T00:00:00.000Z', new Date(Date.now() + 10 * 60_000).toISOString()]) {
    const sealed = net.nodes.mof!.ctx!.profiles.get('jose-v1').seal(input({ sentAt }))
    const res = await federationPost(net.nodes.mof!.federationPort, { ...identity('moi'), body: (await sealed).envelope })
    await refused(t, res, 422, 'ERR_SENT_AT_OUT_OF_RANGE', '/sentAt')
  }
  const ok = await net.nodes.mof!.ctx!.profiles.get('jose-v1').seal(input({ sentAt: new Date(Date.now() + 60_000).toISOString() }))
  t.equal((await federationPost(net.nodes.mof!.federationPort, { ...identity('moi'), body: ok.envelope })).status, 201, 'a minute ahead is within the skew')
  t.equal(inboxSize(), before + 1, 'only the one within the window was stored')
})

t.test('item 7: a signed payload naming a member twice is refused (I-JSON), whatever a parser would keep', async (t) => {
  const i = input()
  const text = payloadOf(i).toString('utf8').replace('"to":"mof"', '"to":"dga","to":"mof"')
  const a = net.fed.agencies.moi!
  const jws = craftJws({ alg: algOf(a.signing.key), typ: 'saraban-letter+jws', x5c: x5cOf(a.signing.chain) }, text, a.signing.key)
  const res = await federationPost(net.nodes.mof!.federationPort, { ...identity('moi'), body: craftEnvelope({ input: i, jws }) })
  await refused(t, res, 400, 'ERR_ENVELOPE_MALFORMED', '/to')
})

t.test('item 7: ERR_DECRYPT_FAILED says one thing, whatever failed', async (t) => {
  // sealed for dga's key but routed to mof: no key of mof's matches
  const wrongKey = await net.nodes.mof!.ctx!.profiles.get('jose-v1').seal(input({ recipientCert: net.fed.agencies.dga!.encryption.cert }))
  const a = await federationPost(net.nodes.mof!.federationPort, { ...identity('moi'), body: wrongKey.envelope })
  const good = (await net.nodes.mof!.ctx!.profiles.get('jose-v1').seal(input())).envelope.toString('latin1').split('.')
  good[4] = (good[4]![0] === 'A' ? 'B' : 'A') + good[4]!.slice(1) // the tag
  const b = await federationPost(net.nodes.mof!.federationPort, { ...identity('moi'), body: Buffer.from(good.join('.'), 'latin1') })
  await refused(t, a, 400, 'ERR_DECRYPT_FAILED')
  await refused(t, b, 400, 'ERR_DECRYPT_FAILED')
  t.equal(problem(a).detail, problem(b).detail, 'no key and a bad tag read the same')
})

t.test('item 4: one chain rule — a leaf-only TLS chain is completed from the directory, like a leaf-only x5c', async (t) => {
  const a = net.fed.agencies.moi!
  const sealed = await net.nodes.mof!.ctx!.profiles.get('jose-v1').seal(input({ signer: { agency: 'moi', key: a.signing.key, chain: [a.signing.chain[0]!] } }))
  const res = await federationPost(net.nodes.mof!.federationPort, { ...identity('moi', true), body: sealed.envelope })
  t.equal(res.status, 201, res.body.toString())
})

t.test('item 7: a 401 does not echo OpenSSL', async (t) => {
  const foreign = await foreignFederation()
  const tls = foreign.agencies.moi!.tls
  const i = input()
  const res = await federationPost(net.nodes.mof!.federationPort, { key: tls.keyPem, cert: tls.chainPem, ca: net.fed.root.certPem, body: (await net.nodes.mof!.ctx!.profiles.get('jose-v1').seal(i)).envelope })
  await refused(t, res, 401, 'ERR_TLS_CLIENT_CERT_UNTRUSTED')
  // OpenSSL's names (UNABLE_TO_VERIFY_LEAF_SIGNATURE, SELF_SIGNED_CERT_IN_CHAIN…) are not ours to send
  t.notMatch(problem(res).detail ?? '', /[A-Z]{2,}_[A-Z_]{2,}/, 'the detail names no OpenSSL verify error')
})

// A stand-in for dga's node: its TLS identity, answering every envelope 201 with a receipt the test makes.
async function fakePeer(answer: (body: Buffer) => { contentType: string; body: Buffer }): Promise<Server> {
  const dga = net.fed.agencies.dga!
  const port = net.nodes.dga!.federationPort
  const server = createServer({ key: dga.tls.keyPem, cert: dga.tls.chainPem, ca: net.fed.root.certPem, requestCert: true, rejectUnauthorized: false }, (req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      if (req.url?.endsWith('/health')) {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}')
        return
      }
      const a = answer(Buffer.concat(chunks))
      res.writeHead(201, { 'content-type': a.contentType }).end(a.body)
    })
  })
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', () => resolve()))
  return server
}

function claimsOf(envelope: Buffer, over: Record<string, unknown> = {}) {
  const header = JSON.parse(Buffer.from(envelope.toString('latin1').split('.')[0]!, 'base64url').toString('utf8')) as { srb_mid: string; srb_from: string; srb_to: string }
  return {
    v: 1 as const, mid: header.srb_mid, from: header.srb_from, to: header.srb_to, receivedAt: new Date().toISOString(),
    envelopeSha256: createHash('sha256').update(envelope).digest('hex'), profile: 'jose-v1', ...over,
  }
}

t.test('items 5 and 7: a receipt that can only fail again fails the recipient at once, with the real reason', async (t) => {
  const moi = net.nodes.moi!
  await moi.start()
  const dga = net.fed.agencies.dga!.signing
  const signer = { agency: 'dga', key: dga.key, chain: dga.chain }
  const cases: Array<{ name: string; answer: (b: Buffer) => { contentType: string; body: Buffer }; detail: RegExp }> = [
    { name: 'an extra claim', detail: /members must be exactly/, answer: (b) => ({ contentType: 'application/jose', body: craftJws({ alg: algOf(dga.key), typ: 'saraban-receipt+jws', x5c: x5cOf(dga.chain) }, JSON.stringify(claimsOf(b, { extra: true })), dga.key) }) },
    { name: 'a claim twice', detail: /twice/, answer: (b) => ({ contentType: 'application/jose', body: craftJws({ alg: algOf(dga.key), typ: 'saraban-receipt+jws', x5c: x5cOf(dga.chain) }, JSON.stringify(claimsOf(b)).replace('"profile"', '"to":"dga","profile"'), dga.key) }) },
    { name: 'the wrong media type', detail: /came as "application\/json"/, answer: (b) => ({ contentType: 'application/json', body: signV1Receipt(claimsOf(b), signer) }) },
    { name: 'a receivedAt before the letter was sent', detail: /before the letter was sent/, answer: (b) => ({ contentType: 'application/jose', body: signV1Receipt(claimsOf(b, { receivedAt: new Date(Date.now() - 3_600_000).toISOString() }), signer) }) },
  ]
  for (const c of cases) {
    const server = await fakePeer(c.answer)
    try {
      const sent = await call(moi, 'POST', '/api/v1/letters', { letter: thaiLetter(['dga'], { subject: c.name }) })
      t.equal(sent.status, 202)
      const r = await waitFor(`${c.name}: failed`, async () => {
        const [x] = (await call(moi, 'GET', `/api/v1/letters/${sent.body.id}`)).body.recipients as Array<{ status: string; attempts: number; lastError?: { code: string; detail: string } }>
        return x && x.status === 'failed' ? x : undefined
      })
      t.equal(r.attempts, 1, `${c.name}: one attempt, no retry`)
      t.equal(r.lastError?.code, 'ERR_RECEIPT_INVALID')
      t.match(r.lastError?.detail, c.detail, `${c.name}: the reason is said`)
    } finally {
      await new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) })
    }
  }
})
