// npm run bench -- --case crash: the long form of test/integration/crash-kill.test.ts (issue 13 §3).
// Prints the kill schedule and every violated check; returns the exit code (1 on any violation).
import { crashRun, crashViolations } from '../helpers/crash-run.js'

export async function crashCase(opts: { letters: number; kills: number; seed: number; concurrency: number; processes?: number }): Promise<number> {
  const per = opts.processes ?? 1
  console.log(`saraban-node crash run — ${opts.letters} letters moi → mof, ${opts.kills} SIGKILLs, seed ${opts.seed}, ${opts.concurrency} clients${per > 1 ? `, ${per} processes per node on one data directory` : ''}`)
  const t0 = performance.now()
  // Paced so that the letters span the kills (a restart takes some seconds): about 6 s per kill.
  // Several processes per node: a killed one stays down past its 3 s claim lease, about 4 s more.
  const paceMs = Math.round((opts.kills * (per > 1 ? 10_000 : 6000) * opts.concurrency) / opts.letters)
  console.log(`  each client waits ${paceMs} ms between letters`)
  const rep = await crashRun({ ...opts, paceMs, dist: true, settleMs: 300_000, progress: (l) => console.log('  ' + l) })
  const bad = crashViolations(rep, opts.letters)
  console.log(`\n${rep.accepted} accepted after ${rep.retries} retried POSTs; sender stored ${rep.senderLetters}, receiver ${rep.inboxMessages}; ${rep.registered} registered`)
  console.log(`kills: sender ${rep.kills.filter((k) => k.victim === 'sender').length}, receiver ${rep.kills.filter((k) => k.victim === 'receiver').length}; expired claims taken over: ${rep.reclaimed}`)
  console.log(`integrity_check: sender ${rep.integrity.sender}, receiver ${rep.integrity.receiver}`)
  console.log(`log verify: sender ${rep.logs.sender.ok ? 'ok' : 'DIFFERS'} (${rep.logs.sender.entries} entries), receiver ${rep.logs.receiver.ok ? 'ok' : 'DIFFERS'} (${rep.logs.receiver.entries} entries)`)
  console.log(`registers: send 1..${rep.registers.send.length}, receive 1..${rep.registers.receive.length}; receipts differing: ${rep.receiptMismatches.length}`)
  console.log(`${((performance.now() - t0) / 1000).toFixed(1)} s`)
  if (bad.length === 0) {
    console.log('\nOK: nothing lost, nothing twice, receipts identical, databases sound, logs verify, registers gapless')
    return 0
  }
  console.log(`\nFAILED (seed ${opts.seed}):`)
  for (const b of bad.slice(0, 50)) console.log('  ' + b)
  return 1
}
