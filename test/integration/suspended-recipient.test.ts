// A suspended recipient is not delivered (issue 15 item 11; PROTOCOL.md §1.4, §6.3 step 4, §7.3),
// over real mTLS with real directories. A letter queued for mof, suspended in the sender's directory
// before the attempt, is not sent: it waits with ERR_AGENCY_SUSPENDED (mof, which still thinks
// itself active, receives nothing), and is delivered once a later directory reinstates mof. A
// recipient suspended while the attempt is in flight: its (valid) receipt is not accepted as delivery
// at the receipt's check; the same receipt is accepted once the agency is active.
import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { signDirectory, Directory, type DirectoryDocument } from '../../src/pki/directory.js'
import { attemptDelivery } from '../../src/services/delivery/attempt.js'
import { EnvelopeCache } from '../../src/services/envelope-cache.js'
import { SharedRefs } from '../../src/services/shared-refs.js'
import { testNet, call, waitFor, waitForRecipient, thaiLetter, type TestNet, type TestNode } from '../helpers/nodes.js'

let net: TestNet
let serial = 0
t.before(async () => {
  net = await testNet(['moi', 'mof'], { delivery: { initialBackoffMs: 100, maxBackoffMs: 300 } })
  serial = net.directory.serial
  await net.nodes.moi!.start()
  await net.nodes.mof!.start()
})
t.teardown(async () => net?.stop())

const withMof = (status: 'active' | 'suspended'): DirectoryDocument => ({
  ...net.directory,
  serial: ++serial,
  issuedAt: new Date().toISOString(),
  agencies: net.directory.agencies.map((a) => (a.id === 'mof' ? { ...a, status } : a)),
})

/** A newer signed directory in the file the nodes read; only the sender (moi) refreshes now. */
async function publishToSender(status: 'active' | 'suspended'): Promise<void> {
  writeFileSync(join(net.dir, 'directory.jws'), await signDirectory(withMof(status), net.fed.directoryIssuer))
  await net.nodes.moi!.ctx!.directorySource.refresh()
  t.equal(net.nodes.moi!.ctx!.directory().agency('mof')?.status, status, `the sender's directory lists mof ${status}`)
}

const recipientOf = async (node: TestNode, letterId: string, agency: string) =>
  (await call(node, 'GET', `/api/v1/letters/${letterId}`)).body.recipients.find((r: { agency: string }) => r.agency === agency)

t.test('suspended before the attempt: not sent, waits, delivered once reinstated', async (t) => {
  const moi = net.nodes.moi!, mof = net.nodes.mof!
  // The API refuses a letter to a suspended agency, so the letter is queued while mof is active and
  // its node is down, and mof is suspended before the next attempt.
  await mof.stop()
  const sent = await call(moi, 'POST', '/api/v1/letters', { letter: thaiLetter(['mof'], { subject: 'หนังสือถึงหน่วยงานที่ถูกระงับ' }) })
  t.equal(sent.status, 202, `answered ${sent.body.code ?? sent.status}`)
  await waitFor('a failed attempt while mof is down', async () => ((await recipientOf(moi, sent.body.id, 'mof')).attempts >= 1 ? true : undefined))
  await publishToSender('suspended')
  // mof's own node reads a directory that lists it active: only the sender's rule stops the letter.
  writeFileSync(join(net.dir, 'directory.jws'), await signDirectory(withMof('active'), net.fed.directoryIssuer))
  await mof.start()
  const waiting = await waitFor('the attempt refused by the sender itself', async () => {
    const r = await recipientOf(moi, sent.body.id, 'mof')
    return r.lastError?.code === 'ERR_AGENCY_SUSPENDED' ? r : undefined
  })
  // Between attempts it is queued; the next attempt (every 100–300 ms here) may have claimed it already.
  t.ok(['queued', 'sending'].includes(waiting.status), `the recipient waits: it is not failed (${waiting.status})`)
  t.match(waiting.lastError.message ?? waiting.lastError.detail, /suspended/)
  t.equal((await call(mof, 'GET', '/api/v1/inbox')).body.items.length, 0, 'mof received nothing')

  await publishToSender('active')
  const done = await waitForRecipient(moi, sent.body.id, 'delivered')
  t.equal(done.recipients[0].status, 'delivered', 'delivered once mof is active again')
  t.equal((await call(mof, 'GET', '/api/v1/inbox')).body.items.length, 1, 'mof has the letter')
})

t.test('suspended while the attempt is in flight: the receipt is not accepted as delivery', async (t) => {
  const moi = net.nodes.moi!
  const sent = await call(moi, 'POST', '/api/v1/letters', { letter: thaiLetter(['mof'], { subject: 'ระงับระหว่างส่ง' }) })
  await waitForRecipient(moi, sent.body.id, 'delivered')
  const msg = moi.ctx!.outbox.messagesForLetter(sent.body.id)[0]!
  const active = new Directory(withMof('active'))
  const suspended = new Directory(withMof('suspended'))
  // The sender's directory is read at the attempt (active) and again at the receipt's check: the
  // agency was suspended in between. mof answers the replay with its original receipt (§7.1).
  let reads = 0
  const ctx = moi.ctx!
  const deps = {
    clock: ctx.clock, log: ctx.log, db: ctx.db, outbox: ctx.outbox, peers: ctx.peers, profiles: ctx.profiles, anchors: ctx.anchors,
    envelopes: new EnvelopeCache(1 << 20), settings: { initialBackoffMs: 100, maxBackoffMs: 300, maxInFlight: 1 },
    directory: () => (reads++ < 2 ? active : suspended),
  }
  const flipped = await attemptDelivery(deps, new SharedRefs(), msg)
  t.match(flipped, { kind: 'retry', code: 'ERR_AGENCY_SUSPENDED' }, 'not delivered: the recipient is suspended at the receipt\'s check')
  t.ok(reads > 2, 'the directory was read again after the answer')
  const again = await attemptDelivery({ ...deps, directory: () => active }, new SharedRefs(), msg)
  t.equal(again.kind, 'delivered', 'the same receipt is accepted while the recipient is active')
  const before = await attemptDelivery({ ...deps, directory: () => suspended }, new SharedRefs(), msg)
  t.match(before, { kind: 'retry', code: 'ERR_AGENCY_SUSPENDED' }, 'and nothing is sent to a recipient suspended at the attempt')
  t.notOk('answered' in before, 'no request was made')
})
