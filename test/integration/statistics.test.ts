// GET /api/v1/statistics (issue 17 item 6) from real letters between real nodes, on a clock the test
// steps: known times to delivery and to registration give known medians and 95th percentiles; counts by
// urgency, a rejection by reason, a failure by code, the CSV form, no subject anywhere, the agency scope,
// and the period's refusals naming their field.
import tap from 'tap'
import { testNet, call, waitFor, waitForRecipient, thaiLetter, type TestNet, type TestNode } from '../helpers/nodes.js'
import { monthOf } from '../../src/services/statistics/index.js'

const SECRET_SUBJECT = 'เรื่องลับเฉพาะที่ไม่ควรปรากฏในสถิติ'
const HOUR = 3_600_000

// A clock that stands still unless the test moves it; T0 keeps clear of a month's end (Asia/Bangkok).
let now = Date.now()
if (monthOf(now) !== monthOf(now + 2 * HOUR)) now += 3 * HOUR
const T0 = now
const at = (seconds: number) => {
  now = T0 + seconds * 1000
}
const month = monthOf(T0)

let net: TestNet
tap.before(async () => {
  // dga is in the directory and never started: its letter waits, then fails at the give-up horizon.
  net = await testNet(['moi', 'mof'], { clock: { now: () => now }, delivery: { giveUpAfter: 1000 } })
  await net.nodes.moi!.start()
})
tap.teardown(async () => net?.stop())

const stats = (node: TestNode, query: string) => call(node, 'GET', `/api/v1/statistics${query}`)
const peerOf = (body: any, m: string, peer: string) => body.months.find((x: { month: string }) => x.month === m)?.peers.find((p: { peer: string }) => p.peer === peer)

tap.test('a month of letters moi ↔ mof, counted on both sides', async (t) => {
  const moi = net.nodes.moi!, mof = net.nodes.mof!
  // Four letters to mof while it is down, sealed at 0, 10, 20 and 30 s; one to dga at 0 s.
  const urgencies = ['NORMAL', 'NORMAL', 'URGENT', 'MOST_URGENT']
  const ids: string[] = []
  for (const [i, urgency] of urgencies.entries()) {
    at(i * 10)
    const sent = await call(moi, 'POST', '/api/v1/letters', { letter: thaiLetter(['mof'], { subject: `${SECRET_SUBJECT} ${i}`, urgency }) })
    t.equal(sent.status, 202, `answered ${sent.body.code ?? sent.status}`)
    ids.push(sent.body.id)
  }
  at(0)
  const toDga = await call(moi, 'POST', '/api/v1/letters', { letter: thaiLetter(['dga'], { subject: SECRET_SUBJECT }) })
  t.equal(toDga.status, 202)
  await waitFor('moi found mof down', async () => ((await call(moi, 'GET', '/api/v1/peers')).body.peers as Array<{ state: string }>).some((p) => p.state !== 'up'))

  // mof comes back, and at 100 s every letter is delivered (100, 90, 80, 70 s after sealing). The clock
  // moves after mof listens: a probe at 100 s must find it up (the next would wait on this clock).
  await mof.start()
  at(100)
  moi.ctx!.delivery.notify()
  const done = await Promise.all(ids.map((id) => waitForRecipient(moi, id, 'delivered')))
  const mids = done.map((d) => d.recipients[0].messageId as string)

  // mof registers the first two at 200 s and rejects the third.
  at(200)
  for (const mid of mids.slice(0, 2)) t.equal((await call(mof, 'POST', `/api/v1/inbox/${mid}/register`, {})).status, 200)
  t.equal((await call(mof, 'POST', `/api/v1/inbox/${mids[2]}/reject`, { reasonCode: 'incomplete', reason: 'ขาดสิ่งที่ส่งมาด้วย' })).status, 200)
  await waitFor('the answers at moi', async () => {
    const states = await Promise.all(ids.slice(0, 3).map(async (id) => (await call(moi, 'GET', `/api/v1/letters/${id}`)).body.recipients[0].state))
    return states.join() === 'accepted,accepted,rejected' || undefined
  })

  // 2000 s: past dga's give-up horizon (delivery.giveUpAfter 1000 s).
  at(2000)
  moi.ctx!.delivery.notify()
  await waitForRecipient(moi, toDga.body.id, 'failed')

  const mine = await stats(moi, `?from=${month}&to=${month}`)
  t.equal(mine.status, 200, `answered ${mine.body.code ?? mine.status}`)
  t.match(mine.body, { agency: 'moi', from: month, to: month, timeZone: 'Asia/Bangkok' })
  const toMof = peerOf(mine.body, month, 'mof')
  t.same(toMof.sent, {
    letters: 4, kind: { EXTERNAL: 4 }, urgency: { MOST_URGENT: 1, NORMAL: 2, URGENT: 1 }, secrecy: { UNCLASSIFIED: 4 },
    delivered: 4,
    toDelivery: { count: 4, medianSeconds: 80, p95Seconds: 100 }, // nearest rank over 70, 80, 90, 100
    toRegistration: { count: 2, medianSeconds: 190, p95Seconds: 200 }, // 200 − 10, 200 − 0
    rejections: { incomplete: 1 },
    failures: {},
  }, 'moi → mof: counts, times to delivery and to registration, the rejection')
  t.equal(toMof.received.letters, 0, 'notices are not letters')
  const toDgaStats = peerOf(mine.body, month, 'dga')
  t.match(toDgaStats.sent, { letters: 1, delivered: 0, failures: { ERR_PEER_UNREACHABLE: 1 }, toDelivery: { count: 0, medianSeconds: null, p95Seconds: null } }, 'the failure, by code')

  const theirs = await stats(mof, `?from=${month}`)
  t.equal(theirs.status, 200)
  const fromMoi = peerOf(theirs.body, month, 'moi')
  t.same(fromMoi.received, {
    letters: 4, kind: { EXTERNAL: 4 }, urgency: { MOST_URGENT: 1, NORMAL: 2, URGENT: 1 }, secrecy: { UNCLASSIFIED: 4 },
    toRegistration: { count: 2, medianSeconds: 100, p95Seconds: 100 }, // received at 100 s, registered at 200 s
    rejections: { incomplete: 1 },
  }, 'mof, from moi: the same letters as received')
  t.equal(fromMoi.sent.letters, 0)

  const text = JSON.stringify(mine.body) + JSON.stringify(theirs.body)
  t.notMatch(text, SECRET_SUBJECT, 'no subject in the report')
  for (const id of [...ids, ...mids]) t.notMatch(text, id, 'no letter or message id in the report')

  // CSV: BOM, the stable header, one row per measure.
  const csv = await fetch(`${moi.apiUrl}/api/v1/statistics?from=${month}&format=csv`, { headers: { authorization: `Bearer ${moi.apiKey}` } })
  t.equal(csv.status, 200)
  t.match(csv.headers.get('content-type'), /^text\/csv; charset=utf-8/)
  const bytes = Buffer.from(await csv.arrayBuffer())
  t.same([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 with a byte-order mark')
  const lines = bytes.toString('utf8').slice(1).split('\r\n')
  t.equal(lines[0], 'month,agency,peer,direction,measure,category,value', 'the columns, in their stable order')
  t.ok(lines.includes(`${month},moi,mof,sent,to-delivery-median-seconds,,80`))
  t.ok(lines.includes(`${month},moi,mof,sent,urgency,URGENT,1`))
  t.ok(lines.includes(`${month},moi,dga,sent,failed,ERR_PEER_UNREACHABLE,1`))
  t.ok(lines.includes(`${month},moi,mof,sent,rejected,incomplete,1`))
  t.notMatch(bytes.toString('utf8'), SECRET_SUBJECT, 'no subject in the CSV')
})

tap.test('a month without letters is listed empty', async (t) => {
  const [y, m] = month.split('-').map(Number) as [number, number]
  const before = m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`
  const r = await stats(net.nodes.moi!, `?from=${before}&to=${month}`)
  t.equal(r.status, 200)
  t.same(r.body.months.map((x: { month: string }) => x.month), [before, month])
  t.same(r.body.months[0].peers, [])
})

tap.test('the period and the agency are checked, naming the field', async (t) => {
  const moi = net.nodes.moi!
  const ce = await stats(moi, '?from=2026-01&to=2026-12')
  t.equal(ce.status, 422, 'a Common Era year is refused, not answered with an empty report')
  t.match(ce.headers.get('content-type'), 'application/problem+json')
  t.match(ce.body, { code: 'ERR_STATISTICS_PERIOD_INVALID', field: '/query/from' })
  t.match(ce.body.detail, /2569-01/, 'the detail says which Buddhist-era month was meant')
  t.match(await stats(moi, '?from=2569-13'), { status: 422, body: { code: 'ERR_STATISTICS_PERIOD_INVALID', field: '/query/from' } })
  t.match(await stats(moi, '?from=2569-1'), { status: 400, body: { code: 'ERR_REQUEST_INVALID', field: '/query/from' } })
  t.match(await stats(moi, '?from=2569-06&to=2569-05'), { status: 422, body: { code: 'ERR_STATISTICS_PERIOD_INVALID', field: '/query/to' } })
  t.match(await stats(moi, '?from=2559-01&to=2569-12'), { status: 422, body: { code: 'ERR_STATISTICS_PERIOD_INVALID', field: '/query/to' } }, 'at most 120 months')
  t.match(await stats(moi, `?from=${month}&agency=mof`), { status: 403, body: { code: 'ERR_FORBIDDEN', field: '/query/agency' } }, 'another agency\'s statistics')
  const noKey = await fetch(`${moi.apiUrl}/api/v1/statistics`)
  t.equal(noKey.status, 401)
})
