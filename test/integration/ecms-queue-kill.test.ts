// Issue 18 §3: "nothing is lost if the client crashes between pulling and deleting", with the node
// killed too. Two nodes as OS processes over real mTLS; moi's e-CMS client sends a letter to mof; mof's
// client pulls it and, before it deletes it, the mof process is killed with SIGKILL (and the client
// with it). After a restart the same item, with the same ProcessID, is handed out again; deleted, it can
// still be fetched with InboundSpecial. Then moi is killed right after the acceptance: its client still
// pulls the AcceptLetterNotifier after a restart.
import t from 'tap'
import { writeNetFiles, freePort, waitFor } from '../helpers/nodes.js'
import { startNodeProcess, type NodeProcess } from '../helpers/node-process.js'
import { ecmsClient, outboundLetter, inbound, deleteItem, special, notifier, type Answer } from '../helpers/ecms-client.js'
import type { DirectoryDocument } from '../../src/pki/directory.js'
import { rmSync } from 'node:fs'

const IDS = { moi: { ministry: '15', department: '15001' }, mof: { ministry: '03', department: '03001' } } as const

t.test('SIGKILL between inbound and delete: the item is handed out again, and stays re-fetchable', async (t) => {
  const apiPorts = { moi: await freePort(), mof: await freePort() }
  const files = await writeNetFiles(['moi', 'mof'], {
    apiPorts,
    editDirectory: (d: DirectoryDocument) => ({ ...d, agencies: d.agencies.map((a) => (a.id in IDS ? { ...a, ecms: IDS[a.id as keyof typeof IDS] } : a)) }),
    extraFor: (agency) => ({ ecms: { clients: [{ agency }] } }),
  })
  const procs: Record<string, NodeProcess> = {}
  const start = async (id: 'moi' | 'mof') => { procs[id] = await startNodeProcess(files.agencies[id]!.configFile, { apiPort: apiPorts[id] }) }
  const kill = async (id: 'moi' | 'mof') => {
    procs[id]!.child.kill('SIGKILL')
    t.equal(await procs[id]!.exited, null, `${id} was killed`)
  }
  t.teardown(async () => {
    for (const p of Object.values(procs)) if (p.child.exitCode === null && p.child.signalCode === null) { p.child.kill('SIGKILL'); await p.exited }
    rmSync(files.dir, { recursive: true, force: true })
  })
  await start('moi')
  await start('mof')
  const client = (id: 'moi' | 'mof') => ecmsClient(`http://127.0.0.1:${apiPorts[id]}/ecms/${id}/ecms-ws01/service2`, id === 'moi' ? 'boi' : 'mil-doc')
  const until = (c: (b: string) => Promise<Answer>, kind: string) => waitFor(kind, async () => {
    const a = await c(inbound())
    if (a.has(kind)) return a
    if (a.text('ProcessID')) await c(deleteItem(a.text('ProcessID')))
    return undefined
  }, 30_000)

  const letter = { letterId: 'มท 0201.2/ว 900', date: '2026-12-04', subject: 'ทดสอบการหยุดกะทันหัน', sender: IDS.moi, receiver: IDS.mof, mainText: 'ทดสอบ' }
  t.equal((await client('moi')(outboundLetter(letter))).error, undefined)
  const first = await until(client('mof'), 'GovernmentDocument')
  await kill('mof')
  await start('mof')
  const again = await client('mof')(inbound())
  t.equal(again.text('ProcessID'), first.text('ProcessID'), 'after SIGKILL and restart: the same item, same ProcessID')
  t.equal(again.text('Subject'), letter.subject)
  t.equal((await client('mof')(deleteItem(first.text('ProcessID')))).error, undefined)
  const back = await client('mof')(special('GovernmentDocument', { letterId: letter.letterId, date: letter.date, senderDepartment: IDS.moi.department, acceptDepartment: IDS.mof.department }))
  t.equal(back.text('ProcessID'), first.text('ProcessID'), 'deleted, yet fetched again by InboundSpecial')

  t.equal((await client('mof')(notifier('AcceptLetterNotifier', { letterId: letter.letterId, date: letter.date, subject: letter.subject, acceptId: '1' }))).error, undefined)
  // Wait until moi holds the acceptance, then kill it before its client pulls.
  const accepted = await until(client('moi'), 'AcceptLetterNotifier')
  await kill('moi')
  await start('moi')
  const still = await client('moi')(inbound())
  t.equal(still.text('ProcessID'), accepted.text('ProcessID'), 'the sender\'s notifier survives a SIGKILL too')
  t.equal(still.text('AcceptID'), '1')
})
