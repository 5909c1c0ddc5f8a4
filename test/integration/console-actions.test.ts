// The console's actions over plain HTTP (issue 17 item 2): cancelling a queued recipient (and the
// refusal once it is not queued), search by state, letter number and date, and the actions record.
import tap from 'tap'
import { testNet, call, waitFor, thaiLetter } from '../helpers/nodes.js'
import { ConsoleClient } from '../helpers/console.js'

tap.test('console: cancel a queued delivery, search filters, actions record', async (t) => {
  // mof stays down and the retry wait is long: a letter to it stays queued.
  const net = await testNet(['moi', 'mof'], { delivery: { initialBackoffMs: 600_000, maxBackoffMs: 600_000, probeInitialBackoffMs: 600_000, probeMaxBackoffMs: 600_000 } })
  t.teardown(() => net.stop())
  const moi = net.nodes.moi!
  await moi.start()
  const sent = await call(moi, 'POST', '/api/v1/letters', { letter: thaiLetter(['mof'], { subject: 'หนังสือที่จะยกเลิกการส่ง' }) })
  t.equal(sent.status, 202, JSON.stringify(sent.body))
  const id = sent.body.id as string
  const number = sent.body.letter?.number as string | undefined
  await waitFor('the first attempt failed, the letter waits', async () => {
    const r = (await call(moi, 'GET', `/api/v1/letters/${id}`)).body.recipients?.[0]
    return r?.status === 'queued' && r.attempts >= 1 ? r : undefined
  })

  const c = new ConsoleClient(moi.apiUrl!)
  t.equal((await c.login(moi.apiKey)).status, 303)
  const queued = await c.get('/console/outbox?state=queued')
  t.match(queued.text, 'หนังสือที่จะยกเลิกการส่ง', 'found by state queued')
  t.notMatch((await c.get('/console/outbox?state=delivered')).text, 'หนังสือที่จะยกเลิกการส่ง', 'not under delivered')
  t.notMatch((await c.get('/console/outbox?from=2001-01-01&to=2001-01-02')).text, 'หนังสือที่จะยกเลิกการส่ง', 'not in another date range')
  if (number) t.match((await c.get(`/console/outbox?number=${encodeURIComponent(number)}`)).text, 'หนังสือที่จะยกเลิกการส่ง', 'found by its number')

  const page = await c.get(`/console/letters/${id}`)
  t.match(page.text, /action="\/console\/letters\/[^"]+\/cancel"/, 'a queued recipient offers cancel')
  t.notMatch(page.text, /\/retry"/, 'and no retry')
  const cancel = await c.submit(`/console/letters/${id}`, `/console/letters/${id}/cancel`, { recipient: 'mof' })
  t.equal(cancel.status, 303)
  const r = (await call(moi, 'GET', `/api/v1/letters/${id}`)).body.recipients[0]
  t.equal(r.status, 'cancelled', 'the recipient is cancelled')
  const events = await call(moi, 'GET', '/api/v1/events', undefined, { accept: 'application/json' })
  t.ok(events.body.items.some((e: { type: string; letterId?: string }) => e.type === 'letter.cancelled' && e.letterId === id), 'event letter.cancelled')
  t.match((await c.get('/console/outbox?state=cancelled')).text, 'หนังสือที่จะยกเลิกการส่ง', 'found by state cancelled')

  const again = await c.submit(`/console/letters/${id}`, `/console/letters/${id}/cancel`, { recipient: 'mof' })
  t.equal(again.status, 409, 'no longer queued: refused')
  t.match(again.text, 'ERR_NOT_QUEUED')
  const retry = await c.submit(`/console/letters/${id}`, `/console/letters/${id}/retry`, { recipient: 'mof' })
  t.equal(retry.status, 409, 'a cancelled recipient is not retried')
  t.match(retry.text, 'ERR_DELIVERY_CANCELLED')

  const pdf = await fetch(`${moi.apiUrl}/console/registers/send/export.pdf`, { headers: { cookie: [...c.jar].map(([k, v]) => `${k}=${v}`).join('; ') } })
  t.equal(pdf.status, 200)
  t.match(pdf.headers.get('content-type'), /^application\/pdf/)
  t.equal(Buffer.from(await pdf.arrayBuffer()).subarray(0, 5).toString(), '%PDF-', 'the register as PDF')
  t.match(pdf.headers.get('content-disposition'), /register-moi-send-25\d\d\.pdf/)
  const other = await c.get('/console/registers/send/export.csv?agency=mof')
  t.match(other.headers.get('content-disposition'), /register-moi-send/, "another agency's register is never exported: the key's own is")

  const actions = (await c.get('/console/actions?lang=en')).text
  t.match(actions, /Register export[\s\S]*moi\/send\/25\d\d\.pdf/, 'the export is recorded')
  t.match(actions, /Cancel delivery[\s\S]*Refused/, 'the refused cancel is recorded')
  const rows = actions.match(/<tr><td>[^]*?<\/tr>/g) ?? []
  t.ok(rows.some((x) => x.includes('Cancel delivery') && x.includes('Done') && x.includes(id)), 'the cancel is recorded with its letter')
  t.ok(rows.some((x) => x.includes('Retry') && x.includes('Refused')), 'the refused retry too')
  t.ok(rows.every((x) => x.includes('<td>test</td>')), "with the key's name")
})
