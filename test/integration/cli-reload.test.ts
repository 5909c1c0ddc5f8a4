// Issue 21 §2: SIGHUP re-reads the config file's API keys (with the agencies folder, the directory and
// the CRLs): a node as its own process, a key added to its file works and a key removed stops working.
import t from 'tap'
import { createHash } from 'node:crypto'
import { readFileSync, writeFileSync, rmSync } from 'node:fs'
import { writeNetFiles, freePort, waitFor } from '../helpers/nodes.js'
import { startNodeProcess } from '../helpers/node-process.js'

const files = await writeNetFiles(['moi'])
t.teardown(() => rmSync(files.dir, { recursive: true, force: true }))
const { configFile: file, apiKey } = files.agencies.moi!

t.test('SIGHUP reloads the config file\'s API keys: an added key works, a removed one stops', async (t) => {
  const apiPort = await freePort()
  const node = await startNodeProcess(file, { apiPort })
  t.teardown(() => { node.child.kill('SIGKILL') })
  const get = (key: string) => fetch(`http://127.0.0.1:${apiPort}/api/v1/outbox`, { headers: { authorization: `Bearer ${key}` } }).then((r) => r.status)
  t.equal(await get(apiKey), 200, 'the key of the file works')
  const newKey = 'a-key-added-while-running'
  t.equal(await get(newKey), 401, 'the new key is not known yet')

  const c = JSON.parse(readFileSync(file, 'utf8')) as Record<string, any>
  c.api.keys = [{ name: 'added', sha256: createHash('sha256').update(newKey).digest('hex'), agencies: ['moi'] }]
  writeFileSync(file, JSON.stringify(c))
  node.child.kill('SIGHUP')
  await waitFor('the added key to work', async () => ((await get(newKey)) === 200 ? true : undefined), 15_000)
  t.equal(await get(apiKey), 401, 'the removed key stops working')
  node.child.kill('SIGTERM')
  t.equal(await node.exited, 0, 'the node still stops gracefully')
})
