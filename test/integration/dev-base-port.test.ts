// Issue 21 §3: two dev federations side by side. `dev-certs --base-port` writes configs whose
// listeners and a signed directory whose endpoints follow the base port, so two federations on two
// base ports run at once, each delivering its own letter; and nothing listens where it was not told.
import t from 'tap'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { writeDevCerts } from '../../src/cli/dev-certs.js'
import { devPorts, readDevPorts, basePortOption } from '../../src/cli/dev-ports.js'
import { loadConfig } from '../../src/config/index.js'
import { createContext, type AppContext } from '../../src/context.js'
import { createLogger } from '../../src/log.js'
import { packageRoot } from '../../src/version.js'
import { freeBasePort } from '../helpers/base-port.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function api(base: string, key: string, path: string, init: RequestInit = {}): Promise<any> {
  const res = await fetch(new URL(path, base), { ...init, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' } })
  return { status: res.status, body: await res.json() }
}

t.test('the layout: historic without a base, a compact block with one; bad bases refused in one sentence', async (t) => {
  const d = devPorts()
  t.same([d.agencies.moi, d.agencies.mof, d.agencies.dga], [{ federation: 8443, api: 8080 }, { federation: 8444, api: 8081 }, { federation: 8445, api: 8082 }])
  const b = devPorts(21000)
  const all = [b.tsa, b.directory, ...Object.values(b.agencies).flatMap((a) => [a.federation, a.api]), b.newAgency.federation, b.newAgency.api, b.hosting.federation, b.hosting.api]
  t.equal(new Set(all).size, all.length, 'no two listeners share a port')
  t.ok(all.every((p) => p >= 21000 && p <= 21014), 'all within N..N+14')
  t.equal(basePortOption(undefined, { SARABAN_BASE_PORT: '21000' }), 21000, 'SARABAN_BASE_PORT is the default')
  t.equal(basePortOption('22000', { SARABAN_BASE_PORT: '21000' }), 22000, '--base-port wins')
  t.equal(basePortOption(undefined, {}), null)
  t.throws(() => basePortOption('80'), /--base-port must be a whole number from 1024/)
  t.throws(() => basePortOption(undefined, { SARABAN_BASE_PORT: 'x' }), /SARABAN_BASE_PORT must be/)
})

t.test('two dev federations on two base ports run side by side', async (t) => {
  const log = createLogger('silent')
  const bases = [await freeBasePort()]
  let second = await freeBasePort()
  while (Math.abs(second - bases[0]!) <= 14) second = await freeBasePort()
  bases.push(second)
  const nodes: AppContext[] = []
  const dirs: string[] = []
  t.teardown(async () => {
    for (const n of nodes) await n.close()
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  })
  const feds = []
  for (const base of bases) {
    const dir = mkdtempSync(join(tmpdir(), 'saraban-devfed-'))
    dirs.push(dir)
    await writeDevCerts(dir, devPorts(base), 'data')
    t.same(readDevPorts(dir), devPorts(base), 'ports.env records the layout')
    const directory = JSON.parse(readFileSync(join(dir, 'directory.json'), 'utf8'))
    t.same(directory.agencies.map((a: any) => a.endpoints[0]), [2, 3, 4].map((o) => `https://127.0.0.1:${base + o}`), 'the signed directory names the base port layout')
    const urls: Record<string, string> = {}
    for (const id of ['moi', 'mof']) {
      const config = loadConfig({ file: join(dir, id, 'node.json'), env: {}, packageRoot: packageRoot() })
      t.equal(config.dataDir, join(dir, 'data', id), 'a federation written with --out keeps its data inside itself')
      const ctx = await createContext(config, { log })
      nodes.push(ctx)
      const { federationUrl, apiUrl } = await ctx.listen()
      const p = devPorts(base).agencies[id as 'moi' | 'mof']
      t.equal(federationUrl, `https://127.0.0.1:${p.federation}`)
      t.equal(apiUrl, `http://127.0.0.1:${p.api}`)
      urls[id] = apiUrl
    }
    feds.push(urls)
  }
  const sent = await Promise.all(feds.map(async (urls, i) => {
    const res = await api(urls.moi!, 'dev-moi-key', '/api/v1/letters', {
      method: 'POST',
      body: JSON.stringify({ letter: { kind: 'EXTERNAL', date: '2026-12-06', salutation: 'เรียน', subject: `federation ${i + 1}`, recipients: [{ agency: 'mof' }], body: 'ทดสอบ', signer: { name: 'ผู้ส่ง', position: 'เจ้าหน้าที่' } }, attachments: [] }),
    })
    t.equal(res.status, 202, JSON.stringify(res.body))
    return res.body.id as string
  }))
  for (const [i, urls] of feds.entries()) {
    let status = ''
    for (let n = 0; n < 600 && status !== 'delivered'; n++) {
      status = (await api(urls.moi!, 'dev-moi-key', `/api/v1/letters/${sent[i]}`)).body.recipients[0].status
      if (status !== 'delivered') await sleep(100)
    }
    t.equal(status, 'delivered', `federation ${i + 1} (base ${bases[i]}) delivered its letter`)
    const inbox = (await api(urls.mof!, 'dev-mof-key', '/api/v1/inbox')).body.items
    t.same(inbox.map((m: any) => m.subject), [`federation ${i + 1}`], 'and only its own')
  }
})
