// A bench node as several node processes behind one identity (issue 19 item 2, measured by item 7):
// each process has the node's configuration with a federation port of its own (node-<i>.json beside
// node.json, as test/helpers/crash-run.ts writes them) and an API port of its own; a TCP round-robin
// balancer on the node's directory federation port passes the peer's mTLS connections to them.
// One process: the node itself, no balancer.
import type { ChildProcess } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { Balancer } from '../helpers/balancer.js'
import { freePort } from '../helpers/nodes.js'
import { startNodes } from './node-process.js'

export interface NodeGroup {
  readonly children: ChildProcess[]
  /** each process's API port, in the order of `children` */
  readonly apiPorts: number[]
  /** stops the processes (SIGTERM), waits for them, then the balancer */
  stop(): Promise<void>
}

/** Starts each node as `processes` processes; `apiPorts[0]` of a node is its config's API port. */
export async function startGroups(nodes: ReadonlyArray<{ configFile: string; federationPort: number; apiPort: number }>, processes: number): Promise<NodeGroup[]> {
  const plans: Array<{ members: Array<{ configFile: string; apiPort: number; federationPort: number }>; federationPort: number }> = []
  for (const n of nodes) {
    if (processes <= 1) {
      plans.push({ members: [{ configFile: n.configFile, apiPort: n.apiPort, federationPort: n.federationPort }], federationPort: n.federationPort })
      continue
    }
    const config = JSON.parse(readFileSync(n.configFile, 'utf8')) as { federation: Record<string, unknown> }
    const members = []
    for (let i = 0; i < processes; i++) {
      const port = await freePort()
      const file = n.configFile.replace(/node\.json$/, `node-${i}.json`)
      writeFileSync(file, JSON.stringify({ ...config, federation: { ...config.federation, port } }, null, 2))
      members.push({ configFile: file, apiPort: i === 0 ? n.apiPort : await freePort(), federationPort: port })
    }
    plans.push({ members, federationPort: n.federationPort })
  }
  const balancers = processes <= 1 ? [] : await Promise.all(plans.map((p) => Balancer.listen(p.federationPort, () => p.members.map((m) => m.federationPort))))
  let children: ChildProcess[]
  try {
    children = await startNodes(plans.flatMap((p) => p.members))
  } catch (err) {
    await Promise.all(balancers.map((b) => b.close()))
    throw err
  }
  let at = 0
  return plans.map((p, k) => {
    const mine = children.slice(at, (at += p.members.length))
    return {
      children: mine,
      apiPorts: p.members.map((m) => m.apiPort),
      async stop() {
        for (const c of mine) c.kill('SIGTERM')
        await Promise.all(mine.map((c) => new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r(null) : c.once('exit', r)))))
        await balancers[k]?.close()
      },
    }
  })
}
