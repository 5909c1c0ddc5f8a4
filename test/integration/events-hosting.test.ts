// Webhooks of hosted-agency files (README "Notifications", PROTOCOL.md §16): an agency's own endpoint,
// from its file in hosting.agenciesDir, gets that agency's events and no other's, is visible to the
// agency's API key as "<agency>/<name>", and goes away with the file's webhooks, without a restart.
import tap from 'tap'
import { createServer } from 'node:http'
import { readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { hostingNet, type HostingNet } from '../helpers/hosting.js'
import { waitFor, thaiLetter } from '../helpers/nodes.js'
import { verifyWebhook, webhookKey } from '../../src/services/events/index.js'

tap.test('per-agency webhooks on a hosting node', async (t) => {
  const secret = `whsec_${randomBytes(32).toString('base64')}`
  const key = (webhookKey(secret) as { key: Buffer }).key
  const hits: Array<{ id: string; timestamp: string; signature: string; body: string }> = []
  const receiver = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      hits.push({ id: String(req.headers['webhook-id']), timestamp: String(req.headers['webhook-timestamp']), signature: String(req.headers['webhook-signature']), body: Buffer.concat(chunks).toString() })
      res.writeHead(200).end()
    })
  })
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r))
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/b1`
  let net: HostingNet
  t.before(async () => {
    net = await hostingNet([
      { id: 'node-a', mode: 'node', agencies: ['a1'] },
      { id: 'node-b', mode: 'node', agencies: ['b1', 'b2'] },
    ])
    const b = net.nodes['node-b']!
    writeFileSync(join(b.agenciesDir, '..', 'b1-hook.secret'), secret + '\n', { mode: 0o600 })
    editAgencyFile(b.agenciesDir, 'b1', (f) => ({ ...f, webhooks: [{ name: 'app', url, secretFile: '../b1-hook.secret', types: ['letter.received'] }] }))
    await net.nodes['node-a']!.start()
    await b.start()
  })
  t.teardown(async () => {
    await net?.stop()
    receiver.closeAllConnections()
    await new Promise((r) => receiver.close(r))
  })

  const send = async (to: string) => {
    const a = net.nodes['node-a']!
    const sent = await a.call('a1', 'POST', '/api/v1/letters', { letter: thaiLetter([to]) })
    t.equal(sent.status, 202, JSON.stringify(sent.body))
    const done = await waitFor(`delivered to ${to}`, async () => {
      const r = await a.call('a1', 'GET', `/api/v1/letters/${sent.body.id}`)
      return r.body.recipients?.[0]?.status === 'delivered' ? r.body : undefined
    })
    return done.recipients[0].messageId as string
  }

  t.test('b1\'s endpoint gets b1\'s letters, not b2\'s', async (t) => {
    const b = net.nodes['node-b']!
    const m1 = await send('b1')
    await send('b2')
    await waitFor('one POST', () => hits.length >= 1)
    await new Promise((r) => setTimeout(r, 300))
    t.equal(hits.length, 1, 'only b1\'s event')
    const body = JSON.parse(hits[0]!.body)
    t.match(body, { type: 'letter.received', agency: 'b1', messageId: m1, data: { from: 'a1' } })
    t.ok(verifyWebhook(key, hits[0]!, hits[0]!.body, Math.floor(Date.now() / 1000)), 'signed with the agency\'s secret')
    const d = await waitFor('recorded', async () => {
      const r = await b.call('b1', 'GET', '/api/v1/webhooks/deliveries')
      return r.body.items?.[0]?.state === 'delivered' ? r.body : undefined
    })
    t.match(d.endpoints, [{ name: 'b1/app', url, agencies: ['b1'] }])
    t.match(d.items, [{ endpoint: 'b1/app', agency: 'b1', state: 'delivered', attempts: 1 }])
    const other = await b.call('b2', 'GET', '/api/v1/webhooks/deliveries')
    t.same(other.body, { endpoints: [], items: [] }, 'b2\'s key sees neither b1\'s endpoint nor its deliveries')
  })

  t.test('a rotated secret file is picked up by a rescan', async (t) => {
    const b = net.nodes['node-b']!
    const rotated = `whsec_${randomBytes(32).toString('base64')}`
    writeFileSync(join(b.agenciesDir, '..', 'b1-hook.secret'), rotated + '\n', { mode: 0o600 })
    t.match(b.ctx!.reloadAgencies(), { changed: ['b1'] })
    const before = hits.length
    await send('b1')
    await waitFor('POST', () => hits.length > before)
    const h = hits.at(-1)!
    const now = Math.floor(Date.now() / 1000)
    t.ok(verifyWebhook((webhookKey(rotated) as { key: Buffer }).key, h, h.body, now), 'signed with the new secret')
    t.notOk(verifyWebhook(key, h, h.body, now), 'not with the old one')
  })

  t.test('removing the webhook from the file stops it without a restart', async (t) => {
    const b = net.nodes['node-b']!
    editAgencyFile(b.agenciesDir, 'b1', (f) => {
      const { webhooks: _, ...rest } = f
      return rest
    })
    b.ctx!.reloadAgencies()
    const before = hits.length
    await send('b1')
    await new Promise((r) => setTimeout(r, 500))
    t.equal(hits.length, before, 'no POST for the next letter')
    const r = await b.call('b1', 'GET', '/api/v1/webhooks/deliveries')
    t.same(r.body.endpoints, [])
    t.equal(r.body.items.length, 2, 'the earlier deliveries are still on record')
  })
})

function editAgencyFile(dir: string, id: string, edit: (f: Record<string, unknown>) => Record<string, unknown>): void {
  const file = join(dir, `${id}.json`)
  const next = edit(JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>)
  writeFileSync(join(dir, `.${id}.tmp`), JSON.stringify(next, null, 2))
  renameSync(join(dir, `.${id}.tmp`), file)
}
