// Statistics in the console (issue 17 item 6) over plain HTTP: the page renders for a logged-in
// session, the CSV export is the API's CSV for the same period byte for byte, the PDF is a PDF whose
// text holds the peer agency and its count (pdftotext), each export is recorded as an action, the
// key's agency scope holds, and a Common-Era month is refused on the page with the API's code.
import tap from 'tap'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { testNet, call, waitFor, thaiLetter } from '../helpers/nodes.js'
import { ConsoleClient } from '../helpers/console.js'
import { monthOf } from '../../src/services/statistics/index.js'

tap.test('console: statistics page, CSV and PDF exports', async (t) => {
  const net = await testNet(['moi', 'mof'])
  t.teardown(() => net.stop())
  const moi = net.nodes.moi!
  await moi.start()
  await net.nodes.mof!.start()
  for (let n = 0; n < 3; n++) {
    const sent = await call(moi, 'POST', '/api/v1/letters', { letter: thaiLetter(['mof'], { subject: `หนังสือสถิติ ${n}` }) })
    t.equal(sent.status, 202, JSON.stringify(sent.body))
    await waitFor('delivered', async () => (await call(moi, 'GET', `/api/v1/letters/${sent.body.id}`)).body.recipients?.[0]?.status === 'delivered')
  }
  const month = monthOf(Date.now())

  const c = new ConsoleClient(moi.apiUrl!)
  t.equal((await c.login(moi.apiKey)).status, 303)
  const cookie = [...c.jar].map(([k, v]) => `${k}=${v}`).join('; ')
  const page = await c.get('/console/statistics?lang=en')
  t.equal(page.status, 200)
  t.match(page.text, /<a href="\/console\/statistics" aria-current="page">Statistics<\/a>/, 'in the console menu')
  t.match(page.text, /<th scope="row">mof<\/th><td>3<\/td><td>3<\/td>/, 'three letters sent to mof, three delivered')
  t.match(page.text, new RegExp(`name="to" value="${month}"`), 'the period runs to the current month by default')
  const th = await c.get(`/console/statistics?lang=th&from=${month}&to=${month}`)
  t.match(th.text, /<th scope="row">mof<\/th><td>๓<\/td>/, 'Thai digits in Thai')

  const csv = await c.get(`/console/statistics/export.csv?from=${month}&to=${month}`)
  t.equal(csv.status, 200)
  t.match(csv.headers.get('content-type'), /^text\/csv/)
  t.match(csv.headers.get('content-disposition'), `statistics-moi-${month}-${month}.csv`)
  const api = await call(moi, 'GET', `/api/v1/statistics?from=${month}&to=${month}&format=csv`)
  t.equal(api.status, 200)
  // Compared as bytes: text() would drop the byte-order mark both carry.
  const csvBytes = Buffer.from(await (await fetch(`${moi.apiUrl}/console/statistics/export.csv?from=${month}&to=${month}`, { headers: { cookie } })).arrayBuffer())
  t.ok(csvBytes.equals(api.body as Buffer), "the console's CSV is the API's, byte for byte")
  t.match(csv.text, `${month},moi,mof,sent,letters,,3`)

  const scoped = await c.get(`/console/statistics/export.csv?from=${month}&to=${month}&agency=mof`)
  t.match(scoped.headers.get('content-disposition'), 'statistics-moi-', "another agency's statistics are never exported: the key's own are")

  const pdfRes = await fetch(`${moi.apiUrl}/console/statistics/export.pdf?from=${month}&to=${month}`, { headers: { cookie } })
  t.equal(pdfRes.status, 200)
  t.match(pdfRes.headers.get('content-type'), /^application\/pdf/)
  const pdf = Buffer.from(await pdfRes.arrayBuffer())
  t.equal(pdf.subarray(0, 5).toString(), '%PDF-', 'a PDF')
  const dir = mkdtempSync(join(tmpdir(), 'saraban-stats-pdf-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, 's.pdf'), pdf)
  const text = execFileSync('pdftotext', ['-layout', join(dir, 's.pdf'), '-'], { encoding: 'utf8' })
  t.match(text, 'สถิติหนังสือราชการอิเล็กทรอนิกส์', 'the Thai title is extractable')
  t.match(text, /mof\s+ส่ง\s+หนังสือ \(ฉบับ\)\s+๓/, 'the peer, and its three letters sent, in Thai digits')

  const refused = await c.get('/console/statistics?lang=en&from=2026-01&to=2026-02')
  t.equal(refused.status, 422, 'a Common-Era month is refused')
  t.match(refused.text, /role="alert"[^]*ERR_STATISTICS_PERIOD_INVALID/)
  t.match(refused.text, /id="s-from"[^>]*aria-invalid="true"/, 'the field is marked')

  const actions = (await c.get('/console/actions?lang=en')).text
  const rows = actions.match(/<tr><td>[^]*?<\/tr>/g) ?? []
  t.ok(rows.some((x) => x.includes('Statistics export') && x.includes(`moi/${month}..${month}.csv`) && x.includes('<td>test</td>')), 'the CSV export is recorded with the key')
  t.ok(rows.some((x) => x.includes('Statistics export') && x.includes(`moi/${month}..${month}.pdf`)), 'the PDF export too')
})
