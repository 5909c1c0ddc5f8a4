// Every delivery attempt with its error on a letter's console page (issue 17 item 2), over plain
// HTTP: a letter to a node that is down for two attempts (the sender restarted in between, which
// forgets the peer's circuit) and then comes back shows both failed attempts with their code, and
// the attempt that delivered it; in Thai the times are Buddhist-era with Thai digits.
import tap from 'tap'
import { testNet, call, waitFor, thaiLetter } from '../helpers/nodes.js'
import { ConsoleClient } from '../helpers/console.js'

const recipient = async (node: Parameters<typeof call>[0], id: string) => (await call(node, 'GET', `/api/v1/letters/${id}`)).body.recipients?.[0]

tap.test('console: a letter page lists every attempt with its error', async (t) => {
  const net = await testNet(['moi', 'mof'])
  t.teardown(() => net.stop())
  const moi = net.nodes.moi!
  const mof = net.nodes.mof!
  await moi.start()
  const sent = await call(moi, 'POST', '/api/v1/letters', { letter: thaiLetter(['mof'], { subject: 'หนังสือทดสอบการพยายามส่งหลายครั้ง' }) })
  t.equal(sent.status, 202, JSON.stringify(sent.body))
  const id = sent.body.id as string
  await waitFor('the first attempt failed: mof is down', async () => {
    const r = await recipient(moi, id)
    return r?.status === 'queued' && r.attempts === 1 ? r : undefined
  })
  // A restart forgets the circuit (PROTOCOL.md §7.2): the next start tries mof again at once.
  await moi.stop()
  await moi.start()
  await waitFor('the second attempt failed too', async () => {
    const r = await recipient(moi, id)
    return r?.status === 'queued' && r.attempts === 2 ? r : undefined
  })
  await mof.start()
  await waitFor('delivered once mof is back', async () => (await recipient(moi, id))?.status === 'delivered', 30_000)

  const c = new ConsoleClient(moi.apiUrl!)
  t.equal((await c.login(moi.apiKey)).status, 303)
  const en = (await c.get(`/console/letters/${id}?lang=en`)).text
  const items = en.match(/<li class="attempt"[^]*?<\/li>/g) ?? []
  t.equal(items.length, 3, 'three attempts are listed')
  t.match(items[0], /data-outcome="circuit"[^]*Attempt 1[^]*<code>ERR_PEER_UNREACHABLE<\/code>/, 'the first failed with its code')
  t.match(items[1], /data-outcome="circuit"[^]*Attempt 2[^]*<code>ERR_PEER_UNREACHABLE<\/code>/, 'the second too (its count went on after the restart)')
  t.match(items[0], /ECONNREFUSED|connect/i, 'with the detail')
  t.match(items[2], /data-outcome="delivered"[^]*Attempt 3[^]*Delivered/, 'the third delivered it')
  t.notMatch(items[2], /<code>/, 'with no error')
  t.match(en, /aria-label="Delivery attempts to mof"/, 'listed under the recipient')
  t.match(en, /Sending started<\/span> — mof <span class="who">\d{4}-\d\d-\d\d \d\d:\d\d<\/span>/, 'the timeline has the time sending started')

  const th = (await c.get(`/console/letters/${id}?lang=th`)).text
  const first = (th.match(/<li class="attempt"[^]*?<\/li>/g) ?? [])[0] ?? ''
  t.match(first, /ครั้งที่ ๑/, 'attempt numbers in Thai digits')
  t.match(first, /<time datetime="[^"]+">[^<]*๒๕[๖-๙][๐-๙]/, 'the time in the Buddhist era, in Thai digits')
  t.notMatch(first, /<time datetime="[^"]+">[^<]*[0-9]/, 'no Arabic digits in it')
})
