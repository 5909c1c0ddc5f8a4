// `saraban-node log <verify|…>`: the node's transparency log (PROTOCOL.md §20). One row per subcommand.
import type { Command } from '../commands.js'
import { CliError } from '../args.js'
import { VERIFY_HELP, verifyRun } from './verify.js'
import { AUDIT_HELP, auditRun } from './audit.js'

const SUB: Record<string, { summary: string; help: string; run(argv: string[]): Promise<number> }> = {
  verify: { summary: 'check the log offline against the database rows it covers', help: VERIFY_HELP, run: verifyRun },
  audit: { summary: "ask the running node to audit its peers' logs now", help: AUDIT_HELP, run: auditRun },
}

const HELP = `Usage: saraban-node log <${Object.keys(SUB).join('|')}> [options]

The node's transparency log (PROTOCOL.md §20): one Merkle tree per hosted agency.
${Object.entries(SUB).map(([n, s]) => `  ${n.padEnd(9)} ${s.summary}`).join('\n')}
`

export const logCommand: Command = {
  summary: 'the transparency log: verify, audit',
  help: [HELP, ...Object.values(SUB).map((s) => s.help)].join('\n'),
  async run(argv) {
    const [name, ...rest] = argv
    const sub = name === undefined ? undefined : SUB[name]
    if (sub === undefined) throw new CliError(`name a subcommand: ${Object.keys(SUB).join(', ')} (saraban-node log --help).`)
    return sub.run(rest)
  },
}
