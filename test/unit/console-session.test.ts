// Console sessions (issue 17 item 2): expiry (idle, absolute, login form), the CSRF token compared
// in full, and a flood of login forms never evicting a signed-in operator.
import tap, { type Test } from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Db } from '../../src/storage/db.js'
import { Sessions, csrfMatches, type SessionSettings } from '../../src/console/session.js'

/** Sessions on a real SQLite file (migration 044), as two processes of one node see it, and the first's Db. */
function sessions(t: Test, settings?: SessionSettings): [Sessions, Sessions, Db] {
  const dir = mkdtempSync(join(tmpdir(), 'saraban-sessions-'))
  const a = Db.open(join(dir, 'saraban.sqlite'))
  const b = Db.open(join(dir, 'saraban.sqlite'))
  t.teardown(async () => { await a.close(); await b.close(); rmSync(dir, { recursive: true, force: true }) })
  return [new Sessions(a, settings), new Sessions(b, settings), a]
}

tap.test('sessions expire when idle and after the absolute limit', async (t) => {
  const [s] = sessions(t, { idleMs: 1000, absoluteMs: 5000, anonymousMs: 100, max: 10 })
  const a = await s.open(0, 'k')
  t.equal((await s.get(a.id, 900))?.id, a.id, 'within the idle time')
  t.equal((await s.get(a.id, 1800))?.id, a.id, 'touched: idle counts from the last use')
  t.equal(await s.get(a.id, 2801), undefined, 'idle too long')
  t.equal(await s.get(a.id, 2802), undefined, 'and gone')
  const b = await s.open(0, 'k')
  for (let at = 900; at < 5000; at += 900) t.ok(await s.get(b.id, at))
  t.equal(await s.get(b.id, 5001), undefined, 'absolute limit')
  const anon = await s.open(0)
  t.equal(await s.get(anon.id, 101), undefined, 'a login form expires sooner')
  t.equal(await s.get('nope', 0), undefined)
})

tap.test('CSRF token: the whole token, nothing else', async (t) => {
  const [s] = sessions(t)
  const a = await s.open(0, 'k')
  t.ok(csrfMatches(a, a.csrf))
  t.notOk(csrfMatches(a, a.csrf.slice(0, -1)))
  t.notOk(csrfMatches(a, a.csrf.slice(0, -1) + (a.csrf.endsWith('A') ? 'B' : 'A')))
  t.notOk(csrfMatches(a, undefined))
  t.notOk(csrfMatches(a, (await s.open(0, 'k')).csrf), "another session's token")
  t.equal((await s.get(a.id, 1))?.csrf, a.csrf, 'the token read back is the one issued')
})

tap.test('a flood of login forms does not push out a signed-in session', async (t) => {
  const [s] = sessions(t, { idleMs: 1e9, absoluteMs: 1e9, anonymousMs: 1e9, max: 5 })
  const op = await s.open(0, 'k')
  for (let i = 0; i < 100; i++) await s.open(i)
  t.equal(s.size, 5)
  t.equal((await s.get(op.id, 1))?.id, op.id)
})

tap.test('every process of the node knows a session (issue 19 item 2): opened in one, used and closed in another', async (t) => {
  const [a, b, db] = sessions(t, { idleMs: 1000, absoluteMs: 1e9, anonymousMs: 1e9, max: 10 })
  const s = await a.open(0, 'k')
  t.match(await b.get(s.id, 10), { id: s.id, csrf: s.csrf, keySha256: 'k' }, 'the other process sees it, signed in, with its token')
  t.ok(await b.get(s.id, 900), 'used there (recorded)')
  t.ok(await a.get(s.id, 1800), 'so still alive in the first process, within the idle time of that use')
  await b.close(s.id)
  t.equal(await a.get(s.id, 1801), undefined, 'a logout in one process ends it in the other')
  const other = await a.open(2000, 'k')
  t.notOk(JSON.stringify(db.sqlite.prepare('SELECT * FROM console_sessions').all()).includes(other.id), 'the cookie value is not stored')
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
