// notifications.* in node.json (README "Notifications"): defaults, every webhook problem at once, and
// secrets and URL credentials kept out of anything logged.
import t from 'tap'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig, redactedConfig } from '../../src/config/index.js'
import { isSarabanError, type FieldProblem } from '../../src/errors.js'
import { webhookEndpoints } from '../../src/services/events/endpoints.js'

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'

function load(notifications: unknown, env: NodeJS.ProcessEnv = {}) {
  const root = mkdtempSync(join(tmpdir(), 'saraban-events-config-'))
  const dir = join(root, 'moi')
  mkdirSync(dir, { recursive: true })
  const file = join(dir, 'node.json')
  writeFileSync(file, JSON.stringify({
    tls: { key: 'tls.key.pem', cert: 'tls.chain.pem' },
    trust: { anchors: ['../root.crt.pem'], directory: '../directory.jws' },
    agencies: [{ id: 'moi', signing: { key: 's.pem', cert: 's.crt' }, encryption: { key: 'e.pem', cert: 'e.crt' } }],
    ...(notifications === undefined ? {} : { notifications }),
  }))
  writeFileSync(join(dir, 'hook.secret'), SECRET + '\n')
  return { dir, load: () => loadConfig({ file, env, packageRoot: root }) }
}

function problems(fn: () => unknown): readonly FieldProblem[] {
  try {
    fn()
  } catch (e) {
    if (isSarabanError(e)) return e.errors ?? []
    throw e
  }
  return []
}

t.test('defaults', async (t) => {
  const c = load(undefined).load()
  t.same(c.notifications, {
    retentionDays: 30, heartbeatSeconds: 15, slowClientSeconds: 30, maxStreams: 100, maxStreamsPerAgency: 20, webhooks: [],
    webhookDelivery: { maxAttempts: 10, initialBackoffMs: 5000, maxBackoffMs: 3600000, timeoutMs: 10000, concurrency: 16, perEndpoint: 2, allowPrivateTargets: false, allowedTargets: [] },
  })
})

t.test('a webhook with its secret from a file or from the environment', async (t) => {
  const { dir, load: l } = load({ webhooks: [
    { name: 'file', url: 'https://user:pw@saraban.example/hook?token=abc', secretFile: 'hook.secret', agencies: ['moi'], types: ['letter.received'] },
    { name: 'env', url: 'http://127.0.0.1:9000/', secretEnv: 'HOOK_SECRET' },
  ] }, { HOOK_SECRET: SECRET })
  const c = l()
  t.same(c.notifications.webhooks, [
    { name: 'file', url: 'https://user:pw@saraban.example/hook?token=abc', agencies: ['moi'], types: ['letter.received'], secretFile: join(dir, 'hook.secret') },
    { name: 'env', url: 'http://127.0.0.1:9000/', secret: SECRET },
  ])
  const logged = JSON.stringify(redactedConfig(c))
  t.notOk(logged.includes(SECRET.slice(6)), 'the secret is not logged')
  t.notOk(logged.includes('pw@') || logged.includes('token=abc'), 'URL credentials and query are not logged')
  const endpoints = webhookEndpoints(c.notifications.webhooks)
  t.same(endpoints.map((e) => [e.name, e.key.length, e.agencies && [...e.agencies], e.types && [...e.types]]), [['file', 24, ['moi'], ['letter.received']], ['env', 24, undefined, undefined]])
})

t.test('every webhook problem is reported at once', async (t) => {
  const found = problems(load({
    webhooks: [
      { name: 'a', url: 'http://x.example/', secretEnv: 'UNSET_SECRET' },
      { name: 'a', url: 'http://x.example/', secretEnv: 'S', secretFile: 'hook.secret' },
      { name: 'b', url: 'http://x.example/' },
      { name: 'c', url: 'http://x.example/', secretFile: 'hook.secret', agencies: ['mof'] },
      { name: 'd e', url: 'ftp://x.example/', secretFile: 'hook.secret', types: ['letter.nonsense'] },
    ],
    webhookDelivery: { initialBackoffMs: 10_000, maxBackoffMs: 1000 },
  }, { S: SECRET }).load)
  const fields = found.map((p) => p.field)
  t.ok(fields.includes('/notifications/webhooks/4/name'), 'name pattern')
  t.ok(fields.includes('/notifications/webhooks/4/url'), 'http(s) only')
  t.ok(fields.some((f) => f.startsWith('/notifications/webhooks/4/types')), 'known types only')
  // the contradictions run once the shape is right: fix the schema errors and look again
  const again = problems(load({
    webhooks: [
      { name: 'a', url: 'http://x.example/', secretEnv: 'UNSET_SECRET' },
      { name: 'a', url: 'http://x.example/', secretEnv: 'S', secretFile: 'hook.secret' },
      { name: 'b', url: 'http://x.example/' },
      { name: 'c', url: 'http://x.example/', secretFile: 'hook.secret', agencies: ['mof'] },
    ],
    webhookDelivery: { initialBackoffMs: 10_000, maxBackoffMs: 1000 },
  }, { S: SECRET }).load).map((p) => p.field).sort()
  t.same(again, [
    '/notifications/webhookDelivery/maxBackoffMs',
    '/notifications/webhooks/0/secretEnv',
    '/notifications/webhooks/1',
    '/notifications/webhooks/1/name',
    '/notifications/webhooks/2',
    '/notifications/webhooks/3/agencies/0',
  ])
})
