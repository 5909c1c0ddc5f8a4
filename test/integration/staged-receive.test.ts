// Issue 16 item 2, the receiving half: a large federation body is staged on disk as it arrives and
// checked from there (storage/staged-bodies.ts, federation/staged-body.ts), in every envelope profile,
// over real mTLS into real nodes. What is asserted: the receipt and the stored bytes are those of the
// whole-buffer path; the node never allocates a buffer anywhere near the envelope's size while
// receiving it (counted at Buffer's allocators, which the old path's one buffer of the declared
// length went through); a refused or cut body leaves no staging file and no inbox row.
import t from 'tap'
import { connect } from 'node:tls'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { createHash, randomUUID } from 'node:crypto'
import { testNet, federationPost, waitFor, type TestNet } from '../helpers/nodes.js'
import { bytesOf, sampleLetter, sealManyInput, signerOf } from '../vectors/fixtures.js'
import { receiptFromText, sealsMany, type EnvelopeProfile } from '../../src/crypto/profiles.js'

const PROFILES = ['jose-v1', 'jose-v2', 'cms-v1'] as const
const THRESHOLD = 256 * 1024 // mof stages bodies above this (federation.largeBodies.thresholdBytes)

let net: TestNet
t.before(async () => {
  net = await testNet(['moi', 'mof', 'dga'], {
    listeners: (id) => (id === 'mof' ? { federation: { largeBodies: { thresholdBytes: THRESHOLD, perPeer: 4, total: 8 } } } : {}),
  })
  await net.nodes.mof!.start()
  await net.nodes.moi!.start()
})
t.teardown(async () => net?.stop())

const mof = () => net.nodes.mof!
const stagingDir = () => join(mof().ctx!.config.dataDir, 'staging')
const staged = () => readdirSync(stagingDir()).filter((n) => n.endsWith('.body'))

async function seal(profileId: string, attachments: Buffer[], over: { signerOf?: string; manifestOf?: Buffer[] } = {}) {
  const moi = net.nodes.moi!
  const profile: EnvelopeProfile = moi.ctx!.profiles.get(profileId)
  const messageId = randomUUID()
  const signer = over.signerOf ? { ...signerOf(net.fed, over.signerOf), agency: 'moi' } : moi.ctx!.hosted.get('moi')!.signer
  const sealed = await profile.seal({
    messageId, from: 'moi', to: 'mof', sentAt: new Date().toISOString(),
    letter: sampleLetter('moi', 'mof', over.manifestOf ?? attachments), attachments,
    signer, recipientCert: moi.ctx!.directory().encryptionCertFor('mof')!,
  })
  return { profile, messageId, envelope: sealed.envelope }
}

function post(profile: EnvelopeProfile, messageId: string, body: Buffer) {
  const tls = net.fed.agencies.moi!.tls
  return federationPost(mof().federationPort, {
    key: tls.keyPem, cert: tls.chainPem, ca: net.fed.root.certPem, body, contentType: profile.mediaType,
    routing: { messageId, from: 'moi', to: 'mof' },
  })
}

const codeOf = (r: { body: Buffer }) => (JSON.parse(r.body.toString()) as { code?: string }).code

/** The largest buffer made through Buffer's allocators while `fn` runs (this process is the node). */
async function largestAllocation<T>(fn: () => Promise<T>): Promise<{ value: T; largest: number }> {
  const B = Buffer as unknown as Record<'alloc' | 'allocUnsafe' | 'allocUnsafeSlow' | 'concat', (...a: any[]) => Buffer>
  const saved = { alloc: B.alloc, allocUnsafe: B.allocUnsafe, allocUnsafeSlow: B.allocUnsafeSlow, concat: B.concat }
  let largest = 0
  for (const k of Object.keys(saved) as Array<keyof typeof saved>) {
    const real = saved[k]
    B[k] = function (this: unknown, ...a: any[]) {
      const b = real.apply(Buffer, a)
      if (b.length > largest) largest = b.length
      return b
    }
  }
  try {
    return { value: await fn(), largest }
  } finally {
    Object.assign(B, saved)
  }
}

for (const id of PROFILES) {
  t.test(`${id}: a large envelope is received from its staging file, stored whole, and replayed`, async (t) => {
    const files = [bytesOf(3 * 1024 * 1024 + 17, 1), bytesOf(5, 2)]
    const { profile, messageId, envelope } = await seal(id, files)
    t.ok(envelope.length > THRESHOLD)
    const r = await post(profile, messageId, envelope)
    t.equal(r.status, 201, r.body.toString().slice(0, 300))
    const inbox = mof().ctx!.inbox
    const stored = inbox.getEnvelope(messageId)
    t.ok(stored?.equals(envelope), 'the stored envelope is the exact bytes received')
    t.equal(inbox.peek(messageId)?.envelopeSha256, createHash('sha256').update(envelope).digest('hex'))
    t.ok(receiptFromText(profile.id, inbox.peek(messageId)!.receipt).equals(r.body), 'the receipt stored is the one answered')
    t.same(staged(), [], 'no staging file is left')
    const again = await post(profile, messageId, envelope)
    t.equal(again.status, 200, 'a resend of the same bytes (PROTOCOL.md §7.1)')
    t.ok(again.body.equals(r.body), 'gets the same receipt')
    const other = Buffer.from(envelope)
    other[other.length >> 1] = other[other.length >> 1] === 0x41 ? 0x42 : 0x41
    t.equal(codeOf(await post(profile, messageId, other)), 'ERR_MESSAGE_ID_CONFLICT', 'other bytes under the same id')
    t.same(staged(), [])
  })

  t.test(`${id}: refused from a staged body (tag, signer, attachment digest) leaves no staging file and no inbox row`, async (t) => {
    const files = [bytesOf(1024 * 1024, 3)]
    // The tag: one ciphertext byte changed, in the middle (base64url text for jose, octets for cms).
    const a = await seal(id, files)
    const forged = Buffer.from(a.envelope)
    const at = forged.length >> 1
    forged[at] = forged[at] === 0x41 ? 0x42 : 0x41
    const r1 = await post(a.profile, a.messageId, forged)
    t.equal(codeOf(r1), 'ERR_DECRYPT_FAILED')
    t.equal(mof().ctx!.inbox.peek(a.messageId), undefined)
    // A signature by another agency's key, in moi's name.
    const b = await seal(id, files, { signerOf: 'dga' })
    const r2 = await post(b.profile, b.messageId, b.envelope)
    t.equal(codeOf(r2), 'ERR_SIGNER_UNTRUSTED')
    t.equal(mof().ctx!.inbox.peek(b.messageId), undefined)
    // An attachment whose bytes are not those of the signed manifest.
    const c = await seal(id, files, { manifestOf: [bytesOf(1024 * 1024, 4)] })
    const r3 = await post(c.profile, c.messageId, c.envelope)
    t.equal(codeOf(r3), 'ERR_ATTACHMENT_DIGEST_MISMATCH')
    t.equal(mof().ctx!.inbox.peek(c.messageId), undefined)
    t.same(staged(), [], 'no staging file is left')
  })
}

for (const id of ['jose-v2', 'cms-v1'] as const) {
  t.test(`${id}: a circular's part received from its staging file keeps its shared content once (PROTOCOL.md §17.1, §17.8)`, async (t) => {
    const profile = mof().ctx!.profiles.get(id)
    if (!sealsMany(profile)) return t.fail('the profile seals for many')
    const input = sealManyInput(net.fed, 'moi', ['mof', 'dga'], [bytesOf(2 * 1024 * 1024, 21)], { sentAt: new Date().toISOString() })
    const many = await profile.sealMany(input)
    const part = many.parts.find((p) => p.to === 'mof')!
    const envelope = Buffer.concat([part.head, many.shared, part.tail])
    t.ok(envelope.length > THRESHOLD && many.shared.length > 0)
    const r = await post(profile, part.messageId, envelope)
    t.equal(r.status, 201, r.body.toString().slice(0, 300))
    const sha256 = createHash('sha256').update(many.shared).digest('hex')
    const held = mof().ctx!.inbox.contentFrom(sha256, many.shared.length, ['moi'])
    t.ok(held?.equals(many.shared), 'the shared bytes are held by their SHA-256, for parts sent by reference')
    t.ok(mof().ctx!.inbox.getEnvelope(part.messageId)?.equals(envelope), 'and the envelope is put back together exactly')
    t.same(staged(), [])
  })
}

t.test('a large envelope is received without a buffer of its size (bounded memory)', async (t) => {
  const size = 24 * 1024 * 1024
  for (const id of PROFILES) {
    const { profile, messageId, envelope } = await seal(id, [bytesOf(size, 9)])
    const { value: r, largest } = await largestAllocation(() => post(profile, messageId, envelope))
    t.equal(r.status, 201, `${id}: received`)
    // The staging writes the socket's chunks; reads are slices; chunk rows are 1 MiB.
    t.ok(largest <= 2 * 1024 * 1024, `${id}: the largest buffer made while receiving ${envelope.length} bytes is ${largest} bytes`)
  }
})

t.test('a body of unknown length (chunked) is staged and received', async (t) => {
  const { profile, messageId, envelope } = await seal('jose-v1', [bytesOf(1024 * 1024, 12)])
  const tls = net.fed.agencies.moi!.tls
  const answer = await new Promise<string>((resolve, reject) => {
    let got = ''
    const socket = connect({ port: mof().federationPort, host: '127.0.0.1', ca: net.fed.root.certPem, key: tls.keyPem, cert: tls.chainPem, servername: 'localhost' }, () => {
      socket.write(`POST /federation/v1/messages HTTP/1.1\r\nHost: localhost\r\nContent-Type: ${profile.mediaType}\r\nTransfer-Encoding: chunked\r\n`
        + `Connection: close\r\nSaraban-Message-Id: ${messageId}\r\nSaraban-From: moi\r\nSaraban-To: mof\r\n\r\n`)
      for (let at = 0; at < envelope.length; at += 100_000) {
        const c = envelope.subarray(at, at + 100_000)
        socket.write(`${c.length.toString(16)}\r\n`)
        socket.write(c)
        socket.write('\r\n')
      }
      socket.write('0\r\n\r\n')
    })
    socket.on('data', (d) => { got += d.toString('latin1') })
    socket.on('end', () => resolve(got))
    socket.on('error', reject)
  })
  t.match(answer, /^HTTP\/1\.1 201/, answer.slice(0, 200))
  t.ok(mof().ctx!.inbox.getEnvelope(messageId)?.equals(envelope), 'stored exactly')
  t.same(staged(), [])
})

t.test('a connection cut in the middle of a large body leaves nothing', async (t) => {
  const { profile, messageId, envelope } = await seal('jose-v1', [bytesOf(4 * 1024 * 1024, 11)])
  const tls = net.fed.agencies.moi!.tls
  await new Promise<void>((resolve, reject) => {
    const socket = connect({ port: mof().federationPort, host: '127.0.0.1', ca: net.fed.root.certPem, key: tls.keyPem, cert: tls.chainPem, servername: 'localhost' }, () => {
      socket.write(`POST /federation/v1/messages HTTP/1.1\r\nHost: localhost\r\nContent-Type: ${profile.mediaType}\r\nContent-Length: ${envelope.length}\r\n`
        + `Saraban-Message-Id: ${messageId}\r\nSaraban-From: moi\r\nSaraban-To: mof\r\n\r\n`)
      socket.write(envelope.subarray(0, envelope.length >> 1), () => {
        // Wait until the node has staged some of it, then cut the connection.
        waitFor('a staged body', () => staged().length > 0 || undefined).then(() => { socket.destroy(); resolve() }, reject)
      })
    })
    socket.on('error', () => {})
  })
  await waitFor('the staged body removed', () => staged().length === 0 || undefined)
  t.same(staged(), [])
  t.equal(mof().ctx!.inbox.peek(messageId), undefined, 'no inbox row')
})

t.test('what a stopped process left staged is removed when it starts again', async (t) => {
  const { writeFileSync } = await import('node:fs')
  const node = mof()
  const dir = stagingDir()
  await node.stop()
  // A body of this process's earlier life: its name starts with the hash of its owner name.
  const { BodyStaging } = await import('../../src/storage/staged-bodies.js')
  const { ownerFor } = await import('../../src/storage/owner.js')
  const { loadConfig } = await import('../../src/config/load.js')
  const config = loadConfig({ file: node.configFile, env: {}, packageRoot: process.cwd() })
  const w = new BodyStaging(config.dataDir, ownerFor(config.federation.port)).begin()
  w.write(Buffer.from('left behind'))
  const another = join(dir, `0123456789abcdef-1-00.body`) // another live process's, recent: kept
  writeFileSync(another, 'x', { mode: 0o600 })
  await node.start()
  t.same(staged(), ['0123456789abcdef-1-00.body'], 'its own leftover went; another process\'s recent body stayed')
})
