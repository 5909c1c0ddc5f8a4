// The admin console in a real browser (issue 17 item 2): Debian's chromium driven by puppeteer-core.
// Log in, find a letter by subject, read its timeline, retry a failed delivery once its recipient's
// node came back, check the evidence bundle, switch language, export a register (the CSV file the
// browser downloads is read), and axe-core on every page: no 'serious' or 'critical' violation.
// SARABAN_SCREENSHOTS=1 also writes the README's screenshots to test/browser/screenshots/.
// Skipped, saying so, only when no chromium is installed (.ci/run installs it).
import t from 'tap'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createRequire } from 'node:module'
import { testNet, call, waitFor, thaiLetter } from '../helpers/nodes.js'

const CHROMIUM = process.env.CHROMIUM_PATH ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p))
const SHOTS = process.env.SARABAN_SCREENSHOTS === '1'
const SHOT_DIR = join(import.meta.dirname, 'screenshots')
t.setTimeout(600_000)

const skip = CHROMIUM ? {} : { skip: 'browser tests skipped: no chromium at /usr/bin/chromium (apt-get install chromium, or set CHROMIUM_PATH)' }
t.test('the console in chromium', skip, async (t) => {
  if (!CHROMIUM) return
  const { default: puppeteer } = await import('puppeteer-core')
  const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')
  const net = await testNet(['moi', 'mof'], { delivery: { giveUpAfter: 1, probeInitialBackoffMs: 50, probeMaxBackoffMs: 100 } })
  t.teardown(() => net.stop())
  const moi = net.nodes.moi!
  const mof = net.nodes.mof!
  await moi.start() // mof is down: the letter fails

  const subject = 'ขอเชิญประชุมคณะทำงานระบบสารบรรณ ครั้งที่ ๓/๒๕๖๙'
  const sent = await call(moi, 'POST', '/api/v1/letters', { letter: thaiLetter(['mof'], { subject }) })
  t.equal(sent.status, 202, JSON.stringify(sent.body))
  const letterId = sent.body.id as string
  await waitFor('the delivery to mof fails', async () => (await call(moi, 'GET', `/api/v1/letters/${letterId}`)).body.recipients?.[0]?.status === 'failed')
  const other = await call(moi, 'POST', '/api/v1/letters', { letter: thaiLetter(['mof'], { subject: 'เรื่องอื่นที่ไม่ควรปรากฏในผลค้นหา' }) })
  t.equal(other.status, 202)
  const registered = await call(moi, 'POST', '/api/v1/registers/receive/numbers', { letterNumber: 'กค 0401/123', letterDate: '2026-11-20', from: 'กระทรวงการคลัง', to: 'ปลัดกระทรวงมหาดไทย', subject: 'แจ้งผลการพิจารณางบประมาณ' })
  t.equal(registered.status, 201, JSON.stringify(registered.body))

  const browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] })
  t.teardown(() => browser.close())
  const page = await browser.newPage()
  await page.setViewport({ width: 1100, height: 760 })
  await page.setBypassCSP(true) // only so that axe-core can be injected: the console itself runs no script
  const base = moi.apiUrl!

  const axeChecked = new Set<string>()
  const axe = async (name: string) => {
    await page.addScriptTag({ content: axeSource })
    const result = await page.evaluate(async () => {
      const r = await (globalThis as unknown as { axe: { run(o: unknown): Promise<{ violations: Array<{ id: string; impact: string; help: string; nodes: Array<{ target: unknown }> }> }> } }).axe.run({ resultTypes: ['violations'] })
      return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => String((n as { target: unknown }).target)) }))
    })
    const bad = result.filter((v) => v.impact === 'serious' || v.impact === 'critical')
    t.same(bad, [], `axe-core: no serious or critical violation on ${name}`)
    axeChecked.add(name)
  }
  const shot = async (name: string) => {
    if (!SHOTS) return
    mkdirSync(SHOT_DIR, { recursive: true })
    await page.screenshot({ path: join(SHOT_DIR, `${name}.png`) as `${string}.png`, fullPage: false })
  }
  const text = () => page.$eval('main', (m) => (m as unknown as { innerText: string }).innerText)
  const goto = async (path: string) => {
    const r = await page.goto(base + path, { waitUntil: 'load' })
    return r!.status()
  }

  // Log in
  await goto('/console')
  t.equal(new URL(page.url()).pathname, '/console/login', 'without a session: the login form')
  t.equal(await page.$eval('html', (h) => h.lang), 'th', 'Thai first')
  await axe('login')
  await page.type('#key', moi.apiKey)
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')])
  t.equal(new URL(page.url()).pathname, '/console', 'logged in: the dashboard')
  const dash = await text()
  t.match(dash, 'การส่งที่ล้มเหลว', 'the failing deliveries section')
  t.match(dash, /mof/, 'the failing delivery to mof is listed')
  t.match(dash, /[๐-๙]{4}/, 'Thai digits in Thai')
  await axe('dashboard')
  await shot('dashboard-th')

  // Find the letter by subject in the outbox
  await goto('/console/outbox')
  await axe('outbox')
  await page.type('#f-subject', 'ครั้งที่ ๓')
  await Promise.all([page.waitForNavigation(), page.click('form.search button[type=submit]')])
  const found = await text()
  t.match(found, subject, 'the letter is found by part of its subject')
  t.notMatch(found, 'เรื่องอื่นที่ไม่ควรปรากฏ', 'the other letter is not')
  await Promise.all([page.waitForNavigation(), page.click(`a[href="/console/letters/${letterId}"]`)])
  await axe('letter (failed)')

  // Its timeline: sealed, then failed
  const timeline = await page.$eval('ol.timeline', (o) => (o as unknown as { innerText: string }).innerText)
  t.match(timeline, 'ลงนามและเข้ารหัสแล้ว', 'sealed')
  t.match(timeline, /ส่งไม่สำเร็จ/, 'failed, with its code')
  t.match(await text(), /ERR_/, 'the attempt shows its error code')

  // mof comes back; retry now
  await mof.start()
  await Promise.all([page.waitForNavigation(), page.click('form[action$="/retry"] button')])
  t.match(await page.$eval('.flash', (f) => (f as unknown as { innerText: string }).innerText), 'mof', 'requeued')
  await waitFor('delivered after the retry', async () => (await call(moi, 'GET', `/api/v1/letters/${letterId}`)).body.recipients?.[0]?.status === 'delivered')
  await goto(`/console/letters/${letterId}`)
  const after = await page.$eval('ol.timeline', (o) => (o as unknown as { innerText: string }).innerText)
  t.match(after, 'ส่งใหม่โดยผู้ดูแล', 'the requeue is on the timeline')
  t.match(after, 'ส่งถึงแล้ว มีใบตอบรับ', 'delivered with a receipt')
  await axe('letter (delivered)')
  await shot('letter-th')

  // The evidence bundle, checked by the node's own verification
  await Promise.all([page.waitForNavigation(), page.click('form[action$="/evidence/check"] button')])
  t.match(await page.$eval('#evidence-verdict', (v) => (v as unknown as { innerText: string }).innerText), 'ชุดหลักฐานถูกต้อง', 'the evidence bundle checks out')
  await axe('evidence check')

  // Switch language
  await goto(`/console/letters/${letterId}`)
  await Promise.all([page.waitForNavigation(), page.click('header a[lang="en"]')])
  t.equal(await page.$eval('html', (h) => h.lang), 'en')
  const en = await text()
  t.match(en, 'Timeline')
  t.match(en, 'Delivered, receipt held')
  t.notMatch(await page.$eval('ol.timeline', (o) => (o as unknown as { innerText: string }).innerText), /[๐-๙]/, 'dates without Thai digits in English')
  await axe('letter (English)')
  await shot('letter-en')
  await goto('/console/outbox')
  t.equal(await page.$eval('html', (h) => h.lang), 'en', 'the choice is kept (cookie)')
  await Promise.all([page.waitForNavigation(), page.click('header a[lang="th"]')])
  t.equal(await page.$eval('html', (h) => h.lang), 'th')

  // Registers: the receive book of this year, exported as CSV through the browser's download
  await goto('/console/registers?book=receive')
  t.match(await text(), 'แจ้งผลการพิจารณางบประมาณ')
  await axe('registers')
  const downloads = mkdtempSync(join(tmpdir(), 'saraban-dl-'))
  t.teardown(() => rmSync(downloads, { recursive: true, force: true }))
  const cdp = await page.createCDPSession()
  await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: downloads })
  await page.click('a[href*="export.csv"]')
  const file = await waitFor('the CSV download', () => readdirSync(downloads).find((f) => f.endsWith('.csv')))
  t.match(file, /^register-moi-receive-25\d\d\.csv$/)
  const csv = readFileSync(join(downloads, file), 'utf8')
  t.match(csv, 'แจ้งผลการพิจารณางบประมาณ', 'the entry is in the CSV')
  t.match(csv, 'กค 0401/123')

  // Inbox, webhooks and the actions record
  await goto('/console/inbox')
  await axe('inbox')
  await goto('/console/webhooks')
  await axe('webhooks')
  await goto('/console/statistics')
  await axe('statistics')
  await goto('/console/actions')
  const actions = await text()
  for (const a of ['เข้าสู่ระบบ', 'ส่งใหม่', 'ส่งออกทะเบียน', 'ตรวจสอบหลักฐาน']) t.match(actions, a, `the actions record shows ${a}`)
  t.match(actions, 'test', "with the API key's name")
  await axe('actions')

  // Log out: back to the login form, and the old session is gone
  await Promise.all([page.waitForNavigation(), page.click('header form button')])
  t.equal(new URL(page.url()).pathname, '/console/login')
  await goto('/console')
  t.equal(new URL(page.url()).pathname, '/console/login', 'logged out')
  t.same([...axeChecked].sort(), ['actions', 'dashboard', 'evidence check', 'inbox', 'letter (English)', 'letter (delivered)', 'letter (failed)', 'login', 'outbox', 'registers', 'statistics', 'webhooks'], 'axe-core ran on every page')
})
