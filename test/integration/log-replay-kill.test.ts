// Issue 14 gap (PROTOCOL.md §7.1, §20.4): a receiver that answered with signed receipts and is then
// killed (SIGKILL, its own OS process) answers the senders' replays after its restart with the very
// same receipt bytes, and `saraban-node log verify` finds its log intact: the receipts, their
// checkpoints and the entries were committed together, in the transaction that stored the letters.
import t from 'tap'
import { randomUUID } from 'node:crypto'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { writeNetFiles, federationPost, thaiLetter, freePort } from '../helpers/nodes.js'
import { startNodeProcess, type NodeProcess } from '../helpers/node-process.js'
import { joseV1 } from '../../src/crypto/jose/v1-profile.js'
import { verifyV1Receipt } from '../../src/crypto/jose/v1-receipt.js'
import { verifyCheckpoint } from '../../src/services/log/checkpoints.js'
import { verifyRun } from '../../src/cli/log/verify.js'

const LETTERS = 6

t.test(`SIGKILL after ${LETTERS} receipts: the replays get the identical receipts and the log verifies`, async (t) => {
  const apiPort = await freePort()
  const files = await writeNetFiles(['moi', 'mof'], { profiles: ['jose-v1'], apiPorts: { mof: apiPort } })
  const mofFiles = files.agencies['mof']!
  let mof: NodeProcess | undefined
  t.teardown(async () => {
    if (mof && mof.child.exitCode === null && mof.child.signalCode === null) {
      mof.child.kill('SIGKILL')
      await mof.exited
    }
    rmSync(files.dir, { recursive: true, force: true })
  })
  const moi = files.fed.agencies['moi']!
  const envelopes = await Promise.all(Array.from({ length: LETTERS }, async () => {
    const messageId = randomUUID()
    const sealed = await joseV1.seal({
      messageId, from: 'moi', to: 'mof', sentAt: new Date().toISOString(), letter: { ...thaiLetter(['mof']), sender: { agency: 'moi', name: 'x' }, attachments: [] } as never, attachments: [],
      signer: { agency: 'moi', key: moi.signing.key, chain: moi.signing.chain }, recipientCert: files.fed.agencies['mof']!.encryption.cert,
    })
    return { messageId, envelope: sealed.envelope }
  }))
  const post = (e: { messageId: string; envelope: Buffer }) => federationPost(mofFiles.federationPort, {
    key: moi.tls.keyPem, cert: moi.tls.chainPem, ca: files.fed.root.certPem, body: e.envelope, contentType: joseV1.mediaType,
    routing: { messageId: e.messageId, from: 'moi', to: 'mof' },
  })

  mof = await startNodeProcess(mofFiles.configFile, { apiPort })
  // Sent together, so that several are stored (and receipted) in one transaction.
  const first = await Promise.all(envelopes.map(post))
  t.same(first.map((r) => r.status), envelopes.map(() => 201), 'every letter received', { bodies: first.map((r) => r.body.toString().slice(0, 200)) })
  for (const r of first) {
    const claims = verifyV1Receipt(r.body).claims
    t.ok(claims.log !== undefined && claims.log.index < verifyCheckpoint(claims.log.checkpoint).body.size, 'the receipt carries a checkpoint covering its entry')
  }

  mof.child.kill('SIGKILL')
  t.equal(await mof.exited, null, 'killed by the signal')
  mof = await startNodeProcess(mofFiles.configFile, { apiPort })
  const again = await Promise.all(envelopes.map(post))
  t.same(again.map((r) => r.status), envelopes.map(() => 200), 'every replay is answered as a duplicate')
  for (const [i, r] of again.entries()) t.ok(r.body.equals(first[i]!.body), `replay ${i + 1}: the identical receipt bytes`)

  mof.child.kill('SIGTERM')
  await mof.exited
  const write = process.stdout.write
  process.stdout.write = (() => true) as typeof process.stdout.write
  let code: number
  try {
    code = await verifyRun(['--data-dir', join(mofFiles.configFile, '..', 'data')])
  } finally {
    process.stdout.write = write
  }
  t.equal(code, 0, 'saraban-node log verify: intact')
})
