// Console sessions (issue 17 item 2): expiry (idle, absolute, login form), the CSRF token compared
// in full, and a flood of login forms never evicting a signed-in operator.
import tap from 'tap'
import { Sessions, csrfMatches } from '../../src/console/session.js'

tap.test('sessions expire when idle and after the absolute limit', async (t) => {
  const s = new Sessions({ idleMs: 1000, absoluteMs: 5000, anonymousMs: 100, max: 10 })
  const a = s.open(0, 'k')
  t.equal(s.get(a.id, 900)?.id, a.id, 'within the idle time')
  t.equal(s.get(a.id, 1800)?.id, a.id, 'touched: idle counts from the last use')
  t.equal(s.get(a.id, 2801), undefined, 'idle too long')
  const b = s.open(0, 'k')
  for (let at = 900; at < 5000; at += 900) t.ok(s.get(b.id, at))
  t.equal(s.get(b.id, 5001), undefined, 'absolute limit')
  const anon = s.open(0)
  t.equal(s.get(anon.id, 101), undefined, 'a login form expires sooner')
  t.equal(s.get('nope', 0), undefined)
})

tap.test('CSRF token: the whole token, nothing else', async (t) => {
  const s = new Sessions()
  const a = s.open(0, 'k')
  t.ok(csrfMatches(a, a.csrf))
  t.notOk(csrfMatches(a, a.csrf.slice(0, -1)))
  t.notOk(csrfMatches(a, a.csrf.slice(0, -1) + (a.csrf.endsWith('A') ? 'B' : 'A')))
  t.notOk(csrfMatches(a, undefined))
  t.notOk(csrfMatches(a, s.open(0, 'k').csrf), "another session's token")
})

tap.test('a flood of login forms does not push out a signed-in session', async (t) => {
  const s = new Sessions({ idleMs: 1e9, absoluteMs: 1e9, anonymousMs: 1e9, max: 5 })
  const op = s.open(0, 'k')
  for (let i = 0; i < 100; i++) s.open(i)
  t.equal(s.size, 5)
  t.equal(s.get(op.id, 1)?.id, op.id)
})

tap.test('the session cookie is Secure when the listener is reached over TLS', async (t) => {
  const { default: Fastify } = await import('fastify')
  const { setSessionCookie } = await import('../../src/console/plugin.js')
  for (const secure of [true, false]) {
    const app = Fastify()
    app.get('/x', async (_request, reply) => {
      setSessionCookie({ secureCookies: secure } as never, reply, 'abc')
      return 'ok'
    })
    const res = await app.inject({ method: 'GET', url: '/x' })
    const cookie = String(res.headers['set-cookie'])
    t.match(cookie, /^saraban_console=abc; Path=\/console; HttpOnly; SameSite=Strict/)
    t.equal(/; Secure/.test(cookie), secure, `Secure: ${secure}`)
    await app.close()
  }
})
