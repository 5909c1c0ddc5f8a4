// Config ecms (README "e-CMS gateway"): who is calling is configuration; loopback by default; every
// contradiction reported at load.
import t from 'tap'
import { loadConfigObject, configProblems } from '../helpers/config-file.js'

const config = (ecms?: Record<string, unknown>) => ({
  tls: { key: 'tls.key', cert: 'tls.pem' }, trust: { anchors: ['root.pem'], directory: 'directory.jws' },
  agencies: [{ id: 'moi', signing: { key: 's.key', cert: 's.pem' }, encryption: { key: 'e.key', cert: 'e.pem' } }],
  ...(ecms ? { ecms } : {}),
})

const load = loadConfigObject
const problems = configProblems

t.test('defaults: no clients (no gateway), /ecms, loopback-only clients', async (t) => {
  t.same(load(config()).ecms, { pathPrefix: '/ecms', maxBodyBytes: 67108864, clients: [] })
  t.same(load(config({ clients: [{ agency: 'moi' }] })).ecms.clients, [{ agency: 'moi', allowFrom: ['127.0.0.1/32', '::1/128'] }])
})

t.test('contradictions are listed with their field', async (t) => {
  const p = problems(config({ clients: [{ agency: 'moi', allowFrom: ['10.0.0.0/33'] }, { agency: 'moi' }, { agency: 'mof' }] }))
  t.same(p.map((x) => x.field).sort(), ['/ecms/clients/0/allowFrom/0', '/ecms/clients/1/agency', '/ecms/clients/2/agency'])
  t.ok(problems(config({ pathPrefix: 'ecms' })).some((x) => x.field.startsWith('/ecms/pathPrefix')), 'a prefix starts with /')
  t.ok(problems(config({ clients: [{ agency: 'moi', hostedBy: 'x' }] })).length > 0, 'unknown members are refused')
})
