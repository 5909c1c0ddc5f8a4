// npm run bench -- --case group-commit [--letters 1500] [--rounds 2]: issue 16 item 1, "report the ratio
// with and without group commit in one run". The letters case (moi → mof, 100 KB PDF, the transparency
// log on) with the node's default group commit (storage.maxBatch 64) and without it (maxBatch 1: each
// write its own transaction and fsync), alternating after a warm-up (with, without, without, with, …)
// so that neither always runs second. Prints letters/s, CPU and commits per letter, and the ratio.

export interface GroupCommitRun {
  readonly rate: number
  /** CPU ms per letter: sender, receiver, bench client */
  readonly cpu: readonly number[]
}

export async function groupCommitCase(o: {
  readonly rounds: number
  readonly letters: number
  /** One end-to-end run of `letters` letters, `extra` merged into both node.json (run.ts endToEnd). */
  readonly run: (label: string, extra: Record<string, unknown>, letters: number) => Promise<GroupCommitRun>
}): Promise<void> {
  const configs = { with: { storage: { maxBatch: 64 } }, without: { storage: { maxBatch: 1 } } } as const
  const runs: Record<keyof typeof configs, GroupCommitRun[]> = { with: [], without: [] }
  const rounds = Math.max(1, o.rounds)
  await o.run('warm-up (not counted)', configs.with, Math.ceil(o.letters / 5))
  const order: ReadonlyArray<ReadonlyArray<keyof typeof configs>> = [['with', 'without'], ['without', 'with']]
  for (let i = 0; i < rounds; i++) {
    for (const which of order[i % 2]!) {
      const label = `${which} group commit (storage.maxBatch ${configs[which].storage.maxBatch}; ${runs[which].length + 1} of ${rounds})`
      runs[which].push(await o.run(label, configs[which], o.letters))
    }
  }
  const mean = (rs: GroupCommitRun[], f: (r: GroupCommitRun) => number) => rs.reduce((a, r) => a + f(r), 0) / rs.length
  const rate = (w: keyof typeof configs) => mean(runs[w], (r) => r.rate)
  const cpu = (w: keyof typeof configs, k: number) => mean(runs[w], (r) => r.cpu[k]!)
  console.log(`
runs (letters/s): with group commit ${runs.with.map((r) => r.rate.toFixed(0)).join(', ')}; without ${runs.without.map((r) => r.rate.toFixed(0)).join(', ')}`)
  console.log(`end to end: ${rate('with').toFixed(0)} letters/s with group commit, ${rate('without').toFixed(0)} without (means of ${rounds} run${rounds > 1 ? 's' : ''} each)`)
  console.log(`ratio with / without group commit: ${((rate('with') / rate('without')) * 100).toFixed(0)} %`)
  console.log(`CPU per letter with / without: sender ${cpu('with', 0).toFixed(2)} / ${cpu('without', 0).toFixed(2)} ms, receiver ${cpu('with', 1).toFixed(2)} / ${cpu('without', 1).toFixed(2)} ms (commits per letter: each run's lines above)`)
}
