// GET /metrics (issue 17 item 1) between two real nodes: counters and their label sets after real
// letters and notices, queue gauges while a peer is down, refusals and TLS failures of the federation
// listener, certificates by role, the exposition's format, and who may scrape.
import tap from 'tap'
import { testNet, call, waitFor, waitForRecipient, federationPost, thaiLetter, type TestNet, type TestNode } from '../helpers/nodes.js'
import { parseExposition, valueOf, type Sample } from '../helpers/exposition.js'

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i

let net: TestNet
tap.before(async () => {
  // mof lets a scraper on loopback in without a key; moi keeps the default (closed).
  net = await testNet(['moi', 'mof'], { profiles: ['jose-v1'], extraFor: (a) => (a === 'mof' ? { metrics: { openTo: ['127.0.0.1/32', '::1/128'] } } : {}) })
  await net.nodes.moi!.start()
  await net.nodes.mof!.start()
})
tap.teardown(async () => net?.stop())

async function scrape(node: TestNode, key: boolean = true): Promise<{ status: number; contentType: string; text: string }> {
  const res = await fetch(`${node.apiUrl}/metrics`, { headers: key ? { authorization: `Bearer ${node.apiKey}` } : {} })
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', text: await res.text() }
}

async function samples(node: TestNode): Promise<Sample[]> {
  const s = await scrape(node)
  if (s.status !== 200) throw new Error(`scrape answered ${s.status}`)
  return parseExposition(s.text).samples
}

tap.test('who may scrape: a key, or an address metrics.openTo lists', async (t) => {
  const moi = net.nodes.moi!, mof = net.nodes.mof!
  const without = await scrape(moi, false)
  t.equal(without.status, 401, 'moi (closed by default) refuses a scrape without a key')
  t.match(without.contentType, 'application/problem+json')
  t.equal(JSON.parse(without.text).code, 'ERR_UNAUTHORIZED')
  const wrong = await fetch(`${moi.apiUrl}/metrics`, { headers: { authorization: 'Bearer not-a-key' } })
  t.equal(wrong.status, 401, 'an unknown key is refused')
  const withKey = await scrape(moi)
  t.equal(withKey.status, 200, 'with the API key')
  t.match(withKey.contentType, /^text\/plain; version=0\.0\.4/)
  const open = await scrape(mof, false)
  t.equal(open.status, 200, 'mof lists 127.0.0.1/32 in metrics.openTo: no key needed from there')
  const { types } = parseExposition(open.text)
  t.equal(types.get('process_cpu_user_seconds_total'), 'counter', 'process metrics of the node\'s own registry')
  t.equal(types.get('saraban_delivery_latency_seconds'), 'histogram')
})

tap.test('letters and notices between two nodes are counted per peer, profile and kind', async (t) => {
  const moi = net.nodes.moi!, mof = net.nodes.mof!
  const ids: string[] = []
  for (let i = 0; i < 2; i++) {
    const sent = await call(moi, 'POST', '/api/v1/letters', { letter: thaiLetter(['mof'], { subject: `ความลับของเรื่องที่ ${i}` }) })
    t.equal(sent.status, 202, `answered ${sent.body.code ?? sent.status}`)
    ids.push(sent.body.id)
  }
  const done = await Promise.all(ids.map((id) => waitForRecipient(moi, id, 'delivered')))
  // mof registers the first letter: an acceptance notice travels mof → moi (PROTOCOL.md §18).
  const reg = await call(mof, 'POST', `/api/v1/inbox/${done[0].recipients[0].messageId}/register`, {})
  t.equal(reg.status, 200, `answered ${reg.body.code ?? reg.status}`)

  const letter = { peer: 'mof', profile: 'jose-v1', kind: 'letter' }
  const atMoi = await waitFor('the notice counted at moi', async () => {
    const s = await samples(moi)
    return valueOf(s, 'saraban_messages_received_total', { peer: 'mof', kind: 'notice' }) === 1 ? s : undefined
  })
  t.equal(valueOf(atMoi, 'saraban_messages_sent_total', letter), 2, 'moi sealed two letters for mof')
  t.equal(valueOf(atMoi, 'saraban_messages_delivered_total', letter), 2, 'both receipts verified')
  t.equal(valueOf(atMoi, 'saraban_messages_failed_total', letter), undefined, 'none failed')
  t.equal(valueOf(atMoi, 'saraban_delivery_latency_seconds_count', letter), 2, 'one latency per delivered letter')
  t.equal(valueOf(atMoi, 'saraban_delivery_attempts_count', letter), 2)
  t.equal(valueOf(atMoi, 'saraban_delivery_attempts_bucket', { ...letter, le: '+Inf' }), 2)
  t.equal(valueOf(atMoi, 'saraban_messages_received_total', { peer: 'mof', profile: 'jose-v1', kind: 'notice' }), 1, 'the acceptance notice, received')

  const atMof = await waitFor('the notice delivered at mof', async () => {
    const s = await samples(mof)
    return valueOf(s, 'saraban_messages_delivered_total', { peer: 'moi', kind: 'notice' }) === 1 ? s : undefined
  })
  t.equal(valueOf(atMof, 'saraban_messages_received_total', { peer: 'moi', profile: 'jose-v1', kind: 'letter' }), 2, 'mof received two letters from moi')
  t.equal(valueOf(atMof, 'saraban_messages_sent_total', { peer: 'moi', profile: 'jose-v1', kind: 'notice' }), 1, 'and sent one notice')

  const labelSets = atMoi.filter((s) => s.name === 'saraban_messages_sent_total').map((s) => Object.keys(s.labels).sort().join(','))
  t.same([...new Set(labelSets)], ['kind,peer,profile'], 'traffic counters carry exactly peer, profile and kind')
  for (const s of [...atMoi, ...atMof]) {
    for (const [k, v] of Object.entries(s.labels)) if (UUID.test(v)) t.fail(`${s.name} has a label ${k}="${v}" that looks like an id`)
  }
  const text = (await scrape(moi)).text
  t.notMatch(text, 'ความลับ', 'no subject text in the exposition')
  for (const id of ids) t.notMatch(text, id, 'no letter id in the exposition')
})

tap.test('queues per peer while the peer is down, and the state gauges', async (t) => {
  const moi = net.nodes.moi!, mof = net.nodes.mof!
  await mof.stop()
  const sent = await call(moi, 'POST', '/api/v1/letters', { letter: thaiLetter(['mof']) })
  t.equal(sent.status, 202)
  const s = await samples(moi)
  t.equal(valueOf(s, 'saraban_queue_depth', { peer: 'mof' }), 1, 'one letter waits for mof')
  const age = valueOf(s, 'saraban_queue_oldest_age_seconds', { peer: 'mof' })
  t.ok(age !== undefined && age >= 0, 'the oldest queued age is given')
  t.equal(valueOf(s, 'saraban_directory_state', { state: 'fresh' }), 1, 'the directory is fresh')
  t.equal(valueOf(s, 'saraban_directory_state', { state: 'stale' }), 0)
  t.ok(s.some((x) => x.name === 'saraban_crl_state' && x.labels.state === 'fresh' && x.value === 1), 'a CRL source is fresh')
  t.equal(valueOf(s, 'saraban_tsa_up'), 1, 'no TSA configured: up')
  t.equal(valueOf(s, 'saraban_sse_clients'), 0)
  for (const role of ['tls', 'signing', 'encryption', 'directory-signer', 'ca']) {
    const c = s.filter((x) => x.name === 'saraban_certificate_expiry_seconds' && x.labels.role === role)
    t.ok(c.length >= 1 && c.every((x) => x.value > 0), `the ${role} certificate's time to expiry is given, and positive`)
  }
  t.ok(valueOf(s, 'saraban_certificate_expiry_seconds', { role: 'signing', agency: 'moi' })! > 0, 'signing and encryption certificates are given per hosted agency')
  await mof.start()
  await waitForRecipient(moi, sent.body.id, 'delivered')
  const after = await samples(moi)
  t.equal(valueOf(after, 'saraban_queue_depth', { peer: 'mof' }), undefined, 'an emptied queue leaves the gauge')
})

tap.test('refusals by code and TLS failures of the federation listener', async (t) => {
  const moi = net.nodes.moi!
  const before = await samples(moi)
  const tlsBefore = before.filter((s) => s.name === 'saraban_tls_handshake_failures_total').reduce((a, s) => a + s.value, 0)
  // No client certificate: the handshake completes unauthorised and the mtls plugin refuses (PROTOCOL.md §3.2).
  const r = await federationPost(moi.federationPort, { ca: net.fed.root.certPem, body: Buffer.from('x') })
  t.ok(r.status >= 400)
  const code = JSON.parse(r.body.toString('utf8')).code as string
  const after = await samples(moi)
  t.equal(valueOf(after, 'saraban_receive_refusals_total', { code }), (valueOf(before, 'saraban_receive_refusals_total', { code }) ?? 0) + 1, `the refusal is counted under ${code}`)
  const tlsAfter = after.filter((s) => s.name === 'saraban_tls_handshake_failures_total').reduce((a, s) => a + s.value, 0)
  t.equal(tlsAfter, tlsBefore + 1, 'the handshake without a trusted client certificate is counted')
})
