// The demo's transparency-log step (issue 14, PROTOCOL.md §20): the log heads of the three agencies,
// the demo letter's events proven in both logs (from its evidence bundle, checked by verify-evidence),
// and a tamper on a copy of moi's database found by `saraban-node log verify`, run as a user would.
import { spawnSync } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import type { AppContext } from '../context.js'
import { readLayout } from '../evidence/layout.js'
import type { EvidenceReport } from '../services/evidence/index.js'

export interface LogDemo {
  readonly say: (line: string) => void
  readonly nodes: Readonly<Record<string, { ctx: AppContext }>>
  readonly dataRoot: string
}

/** Waits until moi holds the recipients' inclusion proofs of the letter's messages (fetched after delivery). */
export async function awaitReceivedProofs(ctx: AppContext, messageIds: readonly string[]): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (messageIds.every((id) => ctx.logEvidence.receivedProof(id)?.proof !== undefined)) return
    await ctx.logEvidence.fetcher.kick()
    await new Promise((r) => setTimeout(r, 50))
  }
}

export async function logDemo(d: LogDemo, evidence: Buffer, report: EvidenceReport): Promise<void> {
  const { say } = d
  say('⑬ transparency logs (PROTOCOL.md §20): one append-only Merkle tree per agency, its head signed as a checkpoint')
  for (const [id, n] of Object.entries(d.nodes).filter(([id]) => ['moi', 'mof', 'dga'].includes(id))) {
    const head = n.ctx.logWitness.local.head(id)
    const cp = n.ctx.logWitness.local.latestCheckpoint(id)
    say(`   ${id.padEnd(3)} log: ${head.size} entries, root ${head.root.toString('base64')}${cp ? `; latest signed checkpoint at size ${cp.size}` : ''}`)
  }
  const m = readLayout(evidence).manifest!
  for (const msg of m.messages) {
    for (const p of msg.log ?? []) {
      const ok = report.findings.some((f) => f.ok && f.part === p.proof)
      say(`   ${p.type.padEnd(17)} of message → ${msg.recipient}: entry ${p.index} of ${p.log}'s log (tree of ${p.size}), ${p.type === 'message.received' ? `under the checkpoint ${p.log}'s receipt carries; ` : ''}inclusion proof of ${countLines(evidence, p.proof)} hashes ${ok ? '✓' : '✗'}`)
    }
    for (const g of msg.logGaps ?? []) say(`   ${g.type} of message → ${msg.recipient}: not proven (${g.reason})`)
  }

  // A copy of moi's database, as a backup would be; then one register entry's subject edited in it.
  const copyDir = join(d.dataRoot, 'moi-copy')
  mkdirSync(copyDir, { recursive: true })
  await d.nodes['moi']!.ctx.db.sqlite.backup(join(copyDir, 'saraban.sqlite'))
  const verify = () => spawnSync(process.execPath, [...process.execArgv, process.argv[1]!, 'log', 'verify', '--data-dir', copyDir, '--agency', 'moi'], { encoding: 'utf8' })
  const before = verify()
  say(`   saraban-node log verify on a copy of moi's data: exit ${before.status}, ${lastLine(before.stdout)}`)
  const copy = new Database(join(copyDir, 'saraban.sqlite'))
  try {
    copy.prepare(`UPDATE register_entries SET subject = subject || ' (แก้ไขภายหลัง)' WHERE (agency, book, year, number) =
      (SELECT agency, book, year, number FROM register_entries WHERE agency = 'moi' ORDER BY recorded_at LIMIT 1)`).run()
  } finally {
    copy.close()
  }
  const after = verify()
  const first = after.stdout.split('\n').find((l) => l.startsWith('✗')) ?? ''
  say(`   one register entry's subject edited in the copy: exit ${after.status}, ${lastLine(after.stdout)}`)
  say(`     ${first}`)
  if (before.status !== 0 || after.status !== 1) throw new Error(`log verify did not tell the intact copy (exit ${before.status}) from the tampered one (exit ${after.status}): ${before.stderr}${after.stderr}`)
}

const lastLine = (s: string) => s.trim().split('\n').at(-1) ?? ''
const countLines = (archive: Buffer, path: string) => readLayout(archive).contents.get(path)?.toString('latin1').split('\n').filter((l) => l !== '').length ?? 0
