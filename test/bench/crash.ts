// npm run bench -- --case crash: the long form of test/integration/crash-kill.test.ts (issue 13 §3).
// Prints the kill schedule and every violated check; returns the exit code (1 on any violation).
import { crashRun, crashViolations } from '../helpers/crash-run.js'

export async function crashCase(opts: { letters: number; kills: number; seed: number; concurrency: number; processes?: number; engine?: 'sqlite' | 'postgresql'; both?: boolean }): Promise<number> {
  const per = opts.processes ?? 1
  const pg = opts.engine === 'postgresql'
  console.log(`saraban-node crash run — ${opts.letters} letters moi → mof${opts.both ? ' and as many mof → moi' : ''}, ${opts.kills} SIGKILLs, seed ${opts.seed}, ${opts.concurrency} clients${opts.both ? ' each way' : ''}${per > 1 ? `, ${per} processes per node on one ${pg ? 'database' : 'data directory'}` : ''}${pg ? ', PostgreSQL restarted once mid-run' : ''}`)
  // Issue 19 §6: each node on its own database of one private PostgreSQL cluster, which is stopped for 2 s halfway.
  let cluster: import('../helpers/postgres.js').TestCluster | undefined
  let postgresql: Parameters<typeof crashRun>[0]['postgresql']
  if (pg) {
    const { postgresMissing, startCluster } = await import('../helpers/postgres.js')
    const missing = postgresMissing()
    if (missing !== undefined) throw new Error(missing)
    const c = cluster = startCluster()
    postgresql = { sender: c.createDatabase('crash_moi'), receiver: c.createDatabase('crash_mof'), restart: () => c.restartAsync(2000), restartAfter: Math.floor(opts.letters / 2) }
  }
  const t0 = performance.now()
  // Paced so that the letters span the kills (a restart takes some seconds): about 6 s per kill.
  // Several processes per node: a killed one stays down past its 3 s claim lease, about 4 s more.
  const paceMs = Math.round((opts.kills * (per > 1 ? 10_000 : 6000) * opts.concurrency) / opts.letters)
  console.log(`  each client waits ${paceMs} ms between letters`)
  let rep: Awaited<ReturnType<typeof crashRun>>
  try {
    rep = await crashRun({ ...opts, paceMs, dist: true, settleMs: 300_000, progress: (l) => console.log('  ' + l), ...(postgresql ? { postgresql } : {}) })
  } finally {
    cluster?.stop()
  }
  const bad = crashViolations(rep, opts.letters)
  console.log(`\n${rep.accepted} accepted after ${rep.retries} retried POSTs; sender stored ${rep.senderLetters}, receiver ${rep.inboxMessages}; ${rep.registered} registered`)
  if (rep.back) console.log(`back (mof → moi): ${rep.back.accepted} accepted; mof stored ${rep.back.senderLetters}, moi received ${rep.back.inboxMessages}`)
  console.log(`kills: sender ${rep.kills.filter((k) => k.victim === 'sender').length}, receiver ${rep.kills.filter((k) => k.victim === 'receiver').length}; expired claims taken over: ${rep.reclaimed}`)
  console.log(`${pg ? 'amcheck' : 'integrity_check'}: sender ${rep.integrity.sender}, receiver ${rep.integrity.receiver}${pg ? `; PostgreSQL restarted at ${rep.databaseRestart?.accepted} letters, ${rep.reconnected} reconnections` : ''}`)
  console.log(`log verify: sender ${rep.logs.sender.ok ? 'ok' : 'DIFFERS'} (${rep.logs.sender.entries} entries), receiver ${rep.logs.receiver.ok ? 'ok' : 'DIFFERS'} (${rep.logs.receiver.entries} entries)`)
  console.log(`registers: send 1..${rep.registers.send.length}, receive 1..${rep.registers.receive.length}; receipts differing: ${rep.receiptMismatches.length}`)
  if (rep.back) console.log(`registers back: mof send 1..${rep.back.registers.send.length}, moi receive 1..${rep.back.registers.receive.length}; receipts differing: ${rep.back.receiptMismatches.length}`)
  console.log(`${((performance.now() - t0) / 1000).toFixed(1)} s`)
  if (bad.length === 0) {
    console.log('\nOK: nothing lost, nothing twice, receipts identical, databases sound, logs verify, registers gapless')
    return 0
  }
  console.log(`\nFAILED (seed ${opts.seed}):`)
  for (const b of bad.slice(0, 50)) console.log('  ' + b)
  return 1
}
