// The admin console (issue 17 item 2) over plain HTTP, no browser: the session cookie's attributes,
// a POST without the CSRF token refused (403), a removed session, and the key's agency scope on a
// hosting node (a key of agency b2 cannot see b1's letter, neither listed nor by its address).
import tap from 'tap'
import { hostingNet, apiKeyOf, type HostingNet } from '../helpers/hosting.js'
import { waitFor, thaiLetter } from '../helpers/nodes.js'
import { ConsoleClient } from '../helpers/console.js'

tap.test('console: login, cookies, CSRF and agency scope', async (t) => {
  const net: HostingNet = await hostingNet([
    { id: 'node-a', mode: 'node', agencies: ['a1'] },
    { id: 'node-b', mode: 'node', agencies: ['b1', 'b2'] },
  ])
  t.teardown(() => net.stop())
  await net.nodes['node-a']!.start()
  await net.nodes['node-b']!.start()

  const b = () => net.nodes['node-b']!
  const subject = 'ขอเชิญประชุมเรื่องงบประมาณ ๒๕๖๙ ทดสอบขอบเขต'
  const sent = await b().call('b1', 'POST', '/api/v1/letters', { letter: thaiLetter(['a1'], { subject }) })
  t.equal(sent.status, 202, JSON.stringify(sent.body))
  const letterId = sent.body.id as string
  await waitFor('delivered', async () => (await b().call('b1', 'GET', `/api/v1/letters/${letterId}`)).body.recipients?.[0]?.status === 'delivered')

  t.test('without a session every page leads to the login form', async (t) => {
    const c = new ConsoleClient(b().apiUrl!)
    const r = await c.get('/console')
    t.equal(r.status, 303)
    t.equal(r.location, '/console/login')
    const form = await c.get('/console/login')
    t.equal(form.status, 200)
    t.match(form.text, /<html lang="th">/, 'Thai first')
    t.match(form.text, /name="_csrf"/)
  })

  t.test('session cookie: HttpOnly, SameSite=Strict, Path=/console, not Secure over plain HTTP', async (t) => {
    const c = new ConsoleClient(b().apiUrl!)
    const form = await c.get('/console/login')
    const cookie = form.headers.getSetCookie().find((x) => x.startsWith('saraban_console='))!
    t.ok(cookie, 'a session cookie is set with the login form')
    t.match(cookie, /; HttpOnly/)
    t.match(cookie, /; SameSite=Strict/)
    t.match(cookie, /; Path=\/console/)
    t.notMatch(cookie, /Secure/)
    const before = c.jar.get('saraban_console')
    const r = await c.login(apiKeyOf('b1'))
    t.equal(r.status, 303)
    t.equal(r.location, '/console')
    t.not(c.jar.get('saraban_console'), before, 'logging in gives a new session id')
    const after = r.headers.getSetCookie().find((x) => x.startsWith('saraban_console='))!
    t.match(after, /; HttpOnly/)
    t.match(after, /; SameSite=Strict/)
  })

  t.test('a wrong key is refused and recorded', async (t) => {
    const c = new ConsoleClient(b().apiUrl!)
    const r = await c.login('not-a-key')
    t.equal(r.status, 401)
    t.notOk(c.jar.size > 0 && (await c.get('/console')).status === 200, 'no session')
  })

  t.test('POST without the CSRF token (or with a wrong one) is 403 and does nothing', async (t) => {
    const c = new ConsoleClient(b().apiUrl!)
    t.equal((await c.login(apiKeyOf('b1'))).status, 303)
    const none = await c.request('POST', '/console/logout', {})
    t.equal(none.status, 403)
    const wrong = await c.request('POST', '/console/logout', { _csrf: 'x'.repeat(43) })
    t.equal(wrong.status, 403)
    t.equal((await c.get('/console')).status, 200, 'still logged in: the refused logout did nothing')
    const noSession = await new ConsoleClient(b().apiUrl!).request('POST', `/console/letters/${letterId}/retry`, { recipient: 'a1' })
    t.equal(noSession.status, 403, 'a POST without any session is refused too')
    const anonymous = new ConsoleClient(b().apiUrl!)
    const beforeLogin = await anonymous.submit('/console/login', `/console/letters/${letterId}/retry`, { recipient: 'a1' })
    t.equal(beforeLogin.status, 403, "a login form's session (with its valid token) may do nothing but log in")
    const loginNoToken = await new ConsoleClient(b().apiUrl!).request('POST', '/console/login', { key: apiKeyOf('b1') })
    t.equal(loginNoToken.status, 403, 'the login form is CSRF-checked as well')
    const out = await c.submit('/console', '/console/logout', {})
    t.equal(out.status, 303)
    t.equal((await c.get('/console')).status, 303, 'logged out: back to the login form')
  })

  t.test("a key of agency b2 does not see b1's letter on the same node", async (t) => {
    const b1 = new ConsoleClient(b().apiUrl!)
    await b1.login(apiKeyOf('b1'))
    const mine = await b1.get(`/console/outbox?subject=${encodeURIComponent('งบประมาณ')}`)
    t.equal(mine.status, 200)
    t.match(mine.text, subject)
    t.equal((await b1.get(`/console/letters/${letterId}`)).status, 200)

    const b2 = new ConsoleClient(b().apiUrl!)
    await b2.login(apiKeyOf('b2'))
    const theirs = await b2.get(`/console/outbox?subject=${encodeURIComponent('งบประมาณ')}`)
    t.equal(theirs.status, 200)
    t.notMatch(theirs.text, subject, 'not listed')
    const page = await b2.get(`/console/letters/${letterId}`)
    t.equal(page.status, 404, 'not shown by its address')
    t.notMatch(page.text, subject)
    const evidence = await b2.get(`/console/letters/${letterId}/evidence`)
    t.equal(evidence.status, 404, 'nor its evidence')
    const retry = await b2.submit('/console', `/console/letters/${letterId}/retry`, { recipient: 'a1' })
    t.equal(retry.status, 404, 'nor can it act on it')
    const actions = await b2.get('/console/actions')
    t.notMatch(actions.text, letterId, "b1's actions are not b2's to see")
  })

  t.test('the recipient sees the letter in its inbox; the actions page records logins', async (t) => {
    const a1 = new ConsoleClient(net.nodes['node-a']!.apiUrl!)
    await a1.login(apiKeyOf('a1'))
    const inbox = await a1.get(`/console/inbox?subject=${encodeURIComponent('ทดสอบขอบเขต')}&peer=b1`)
    t.match(inbox.text, subject)
    const none = await a1.get(`/console/inbox?subject=${encodeURIComponent('ทดสอบขอบเขต')}&peer=b2`)
    t.notMatch(none.text, subject, 'the agency filter applies')
    const actions = await a1.get('/console/actions?lang=en')
    t.match(actions.text, /<html lang="en">/)
    t.match(actions.text, /key-a1|a1/)
    t.match(actions.text, /Log in/)
  })
})
