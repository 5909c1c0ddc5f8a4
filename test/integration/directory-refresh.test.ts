// Nodes fetch the signed directory over HTTPS from `directory serve`, refresh it, refuse bad ones,
// keep the last good copy, stop new letters once it is stale and resume when a fresh one arrives
// (PROTOCOL.md §14). Real nodes, real mTLS between them, real HTTPS to the publisher, real SQLite.
import t from 'tap'
import { mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { loadConfig } from '../../src/config/index.js'
import { createContext } from '../../src/context.js'
import { createLogger } from '../../src/log.js'
import { signDirectory, type DirectoryDocument } from '../../src/pki/directory.js'
import { buildPublishServer } from '../../src/cli/publish-server.js'
import { randomUUID } from 'node:crypto'
import { call, federationPost, freePort, thaiLetter, waitFor, waitForRecipient, writeNetFiles, type NetFiles, type TestNode } from '../helpers/nodes.js'

const pub = mkdtempSync(join(tmpdir(), 'saraban-pub-'))
let files: NetFiles
let publisher: FastifyInstance | undefined
let publisherPort = 0
const nodes: Record<string, TestNode> = {}

async function startPublisher(): Promise<void> {
  const tls = files.fed.agencies.dga!.tls // any certificate for 127.0.0.1 under the federation root
  publisher = await buildPublishServer({ dir: pub, tls: { key: tls.keyPem, cert: tls.chainPem }, log: createLogger('silent') })
  await publisher.listen({ host: '127.0.0.1', port: publisherPort })
}

/** Publish a directory (signed by the federation's directory key unless raw text is given), atomically. */
async function publish(edit: (d: DirectoryDocument) => DirectoryDocument | string): Promise<void> {
  const out = edit(structuredClone(files.directory))
  const text = typeof out === 'string' ? out : await signDirectory(out, files.fed.directoryIssuer)
  writeFileSync(join(pub, 'directory.tmp'), text)
  renameSync(join(pub, 'directory.tmp'), join(pub, 'directory.jws'))
}

const fresh = (serial: number, validMs = 86_400_000) => (d: DirectoryDocument): DirectoryDocument => ({
  ...d, serial, issuedAt: new Date().toISOString(), nextUpdate: new Date(Date.now() + validMs).toISOString(),
})

function node(id: string): TestNode {
  const f = files.agencies[id]!
  const n: TestNode = {
    id, apiKey: f.apiKey, configFile: f.configFile, federationPort: f.federationPort,
    async start() {
      if (n.ctx) return
      const ctx = await createContext(loadConfig({ file: f.configFile, env: {}, packageRoot: process.cwd() }), { log: createLogger('silent') })
      n.apiUrl = (await ctx.listen()).apiUrl
      n.ctx = ctx
    },
    async stop() {
      const ctx = n.ctx
      n.ctx = undefined
      await ctx?.close()
    },
  }
  return n
}

const serialOf = (id: string) => nodes[id]!.ctx!.directory().document().serial
const lastErrorOf = (id: string) => nodes[id]!.ctx!.directorySource.status().lastError?.code

t.before(async () => {
  publisherPort = await freePort()
  files = await writeNetFiles(['moi', 'mof'], {
    delivery: { maxAttempts: 1000 },
    extra: { trust: { anchors: ['../root.crt.pem'], directoryUrl: `https://127.0.0.1:${publisherPort}/directory.jws`, refreshSeconds: 1, graceSeconds: 1 } },
  })
  await publish((d) => d)
  await startPublisher()
  for (const id of ['moi', 'mof']) {
    nodes[id] = node(id)
    await nodes[id]!.start()
  }
})
t.teardown(async () => {
  for (const n of Object.values(nodes)) await n.stop()
  await publisher?.close()
  rmSync(pub, { recursive: true, force: true })
  rmSync(files.dir, { recursive: true, force: true })
})

t.test('nodes load the directory over HTTPS and pick up a newer one', async (t) => {
  t.equal(serialOf('moi'), 1)
  const h0 = await call(nodes.moi!, 'GET', '/healthz')
  t.equal(h0.status, 200)
  t.equal(h0.body.directory.location, `https://127.0.0.1:${publisherPort}/directory.jws`)
  t.equal(h0.body.directory.state, 'fresh')
  await publish((d) => ({ ...fresh(2)(d), agencies: d.agencies.map((a) => (a.id === 'mof' ? { ...a, nameEn: 'Ministry of Finance (renamed)' } : a)) }))
  await waitFor('moi holds serial 2', () => serialOf('moi') === 2)
  t.equal(nodes.moi!.ctx!.directory().agency('mof')?.nameEn, 'Ministry of Finance (renamed)')
  const listed = await call(nodes.moi!, 'GET', '/api/v1/directory')
  t.equal(listed.body.serial, 2, 'the API shows the refreshed directory')
  const sent = await call(nodes.moi!, 'POST', '/api/v1/letters', { letter: thaiLetter(['mof']) })
  t.equal(sent.status, 202)
  await waitForRecipient(nodes.moi!, sent.body.id, 'delivered')
})

t.test('tampered, unsigned, expired and rolled-back directories are refused; the last good one is kept', async (t) => {
  const cases: Array<[string, string, (d: DirectoryDocument) => DirectoryDocument | string]> = [
    ['rolled back (serial 1)', 'ERR_DIRECTORY_ROLLBACK', fresh(1)],
    ['tampered', 'ERR_DIRECTORY_INVALID', () => 'x'],
    ['expired', 'ERR_DIRECTORY_EXPIRED', (d) => ({ ...d, serial: 9, issuedAt: new Date(Date.now() - 7_200_000).toISOString(), nextUpdate: new Date(Date.now() - 3_600_000).toISOString() })],
    ['unsigned', 'ERR_DIRECTORY_INVALID', (d) => `${Buffer.from('{"alg":"none","typ":"saraban-directory+jws"}').toString('base64url')}.${Buffer.from(JSON.stringify(fresh(9)(d))).toString('base64url')}.`],
  ]
  for (const [what, code, edit] of cases) {
    if (what === 'tampered') {
      const good = await signDirectory(fresh(9)(structuredClone(files.directory)), files.fed.directoryIssuer)
      const [h, p, s] = good.split('.') as [string, string, string]
      const doc = JSON.parse(Buffer.from(p, 'base64url').toString()) as DirectoryDocument
      doc.agencies[0]!.endpoints = ['https://attacker.example:8443']
      await publish(() => `${h}.${Buffer.from(JSON.stringify(doc)).toString('base64url')}.${s}`)
    } else {
      await publish(edit)
    }
    await waitFor(`moi refuses the ${what} directory`, () => lastErrorOf('moi') === code)
    t.equal(serialOf('moi'), 2, `${what}: moi keeps serial 2`)
    const h = await call(nodes.moi!, 'GET', '/healthz')
    t.equal(h.body.directory.lastError.code, code, `${what}: /healthz says why`)
  }
  unlinkSync(join(pub, 'directory.jws'))
  await waitFor('moi reports the publisher unreachable', () => lastErrorOf('moi') === 'ERR_TRUST_DOCUMENT_UNAVAILABLE')
  t.equal(serialOf('moi'), 2)
  const sent = await call(nodes.moi!, 'POST', '/api/v1/letters', { letter: thaiLetter(['mof']) })
  t.equal(sent.status, 202, 'a fresh directory keeps working while the publisher is unreachable')
  await waitForRecipient(nodes.moi!, sent.body.id, 'delivered')
})

t.test('past nextUpdate + grace: new letters refused, queued letters kept and delivered once a fresh directory arrives', async (t) => {
  await publish(fresh(3, 8000))
  await waitFor('moi holds serial 3', () => serialOf('moi') === 3)
  await waitFor('mof holds serial 3', () => serialOf('mof') === 3)
  await nodes.mof!.stop() // so the next letter stays queued
  const queued = await call(nodes.moi!, 'POST', '/api/v1/letters', { letter: thaiLetter(['mof']) })
  t.equal(queued.status, 202)
  unlinkSync(join(pub, 'directory.jws')) // the operator is unreachable from now on

  await waitFor('moi in grace', () => nodes.moi!.ctx!.directorySource.freshness() === 'grace', 20_000)
  const grace = await call(nodes.moi!, 'GET', '/healthz')
  t.equal(grace.status, 503)
  t.equal(grace.body.directory.state, 'grace')
  t.match(grace.body.checks.find((c: { name: string }) => c.name === 'directory'), { status: 'degraded' })

  await waitFor('moi stale', () => nodes.moi!.ctx!.directorySource.freshness() === 'stale', 20_000)
  const refused = await call(nodes.moi!, 'POST', '/api/v1/letters', { letter: thaiLetter(['mof']) })
  t.equal(refused.status, 503)
  t.equal(refused.body.code, 'ERR_DIRECTORY_STALE')
  t.match(refused.body.detail, /new letters are refused/)
  // Inbound too: a stale node cannot tell whom to trust; 503 makes the sender keep the letter queued.
  const mof = files.fed.agencies.mof!
  const sealed = await nodes.moi!.ctx!.profiles.get('jose-v1').seal({
    messageId: randomUUID(), from: 'mof', to: 'moi', sentAt: new Date().toISOString(),
    letter: { ...thaiLetter(['moi']), sender: { agency: 'mof', name: 'x' }, attachments: [] } as never,
    attachments: [], signer: { agency: 'mof', key: mof.signing.key, chain: mof.signing.chain },
    recipientCert: files.fed.agencies.moi!.encryption.cert,
  })
  const inbound = await federationPost(files.agencies.moi!.federationPort, { key: mof.tls.keyPem, cert: mof.tls.chainPem, ca: files.fed.root.certPem, body: sealed.envelope })
  t.equal(inbound.status, 503)
  t.equal(JSON.parse(inbound.body.toString()).code, 'ERR_DIRECTORY_STALE', 'inbound envelopes are refused while stale')
  t.equal(nodes.moi!.ctx!.inbox.list({ agencies: ['moi'], limit: 5 }).length, 0, 'nothing stored')
  const health = await call(nodes.moi!, 'GET', '/healthz')
  t.equal(health.status, 503)
  t.equal(health.body.directory.state, 'stale')
  t.match(health.body.checks.find((c: { name: string }) => c.name === 'directory'), { status: 'failing', detail: /ERR_DIRECTORY_STALE/ })

  // mof comes back (from its own last good copy, stale too); moi still must not deliver.
  const messageId = (await call(nodes.moi!, 'GET', `/api/v1/letters/${queued.body.id}`)).body.recipients[0].messageId as string
  const attemptsBefore = nodes.moi!.ctx!.outbox.getMessage(messageId)!.attempts
  await nodes.mof!.start()
  t.equal(nodes.mof!.ctx!.directorySource.status().state, 'stale', 'mof restarted on its stale last good copy')
  await new Promise((r) => setTimeout(r, 2500))
  const waiting = await call(nodes.moi!, 'GET', `/api/v1/letters/${queued.body.id}`)
  t.equal(waiting.body.recipients[0].status, 'queued', 'the queued letter is kept, not delivered with a stale directory')
  t.equal(nodes.moi!.ctx!.outbox.getMessage(messageId)!.attempts, attemptsBefore, 'no delivery attempt while stale')

  await publish(fresh(4))
  await waitFor('moi holds serial 4', () => serialOf('moi') === 4)
  t.equal(nodes.moi!.ctx!.directorySource.freshness(), 'fresh')
  await waitForRecipient(nodes.moi!, queued.body.id, 'delivered')
  const again = await call(nodes.moi!, 'POST', '/api/v1/letters', { letter: thaiLetter(['mof']) })
  t.equal(again.status, 202, 'new letters are accepted again')
  await waitForRecipient(nodes.moi!, again.body.id, 'delivered')
  t.equal((await call(nodes.moi!, 'GET', '/healthz')).status, 200)
})

t.test('a restart with the publisher down uses the last good copy; history answers directoryAt', async (t) => {
  await publisher!.close()
  publisher = undefined
  await nodes.moi!.stop()
  await nodes.moi!.start()
  t.equal(serialOf('moi'), 4, 'the last good copy')
  t.equal(lastErrorOf('moi'), 'ERR_TRUST_DOCUMENT_UNAVAILABLE')
  const history = nodes.moi!.ctx!.trustHistory
  const at = (jws: string | undefined) => (jws ? JSON.parse(Buffer.from(jws.split('.')[1]!, 'base64url').toString()).serial : undefined)
  t.equal(at(history.directoryAt(Date.now())), 4)
  t.same(history.latestDirectories(10).map(at), [4, 3, 2, 1])
  const sent = await call(nodes.moi!, 'POST', '/api/v1/letters', { letter: thaiLetter(['mof']) })
  t.equal(sent.status, 202)
  await waitForRecipient(nodes.moi!, sent.body.id, 'delivered')
})
