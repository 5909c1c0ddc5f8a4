// `saraban-node classified <seal|cosign|open|forward|destroy|access>`: the officer's commands for
// classified letters (issue 12, PROTOCOL.md §19). They run on the officer's machine, hold the
// officer's keys, and talk to a node only through its REST API (classified-design.md §5).
import { isSarabanError } from '../../errors.js'
import type { Command } from '../commands.js'
import { CliError, parse } from '../args.js'
import { NodeRefused, NodeUnreachable } from './api-client.js'
import { API_HELP, API_OPTIONS, apiOf, EXIT_HELP } from './common.js'
import { COSIGN_HELP, cosignRun } from './cosign.js'
import { DESTROY_HELP, destroyRun } from './destroy.js'
import { FORWARD_HELP, forwardRun } from './forward.js'
import { OPEN_HELP, openRun } from './open.js'
import { SEAL_HELP, sealRun } from './seal.js'

const ACCESS_HELP = `Usage: saraban-node classified access --api URL --id ITEM

Prints the access record (บันทึกการเข้าถึง) of a classified item as JSON.
${API_HELP}
${EXIT_HELP}
`

async function accessRun(argv: string[]): Promise<number> {
  const { values: v } = parse(argv, { ...API_OPTIONS, id: { type: 'string' } })
  if (!v.id) throw new CliError('--id ITEM is required.')
  process.stdout.write(`${JSON.stringify(await apiOf(v).access(v.id), null, 2)}\n`)
  return 0
}

const SUB: Record<string, { help: string; run(argv: string[]): Promise<number> }> = {
  seal: { help: SEAL_HELP, run: sealRun },
  cosign: { help: COSIGN_HELP, run: cosignRun },
  open: { help: OPEN_HELP, run: openRun },
  forward: { help: FORWARD_HELP, run: forwardRun },
  destroy: { help: DESTROY_HELP, run: destroyRun },
  access: { help: ACCESS_HELP, run: accessRun },
}

const HELP = `Usage: saraban-node classified <seal|cosign|open|forward|destroy|access> [options]

Classified letters (ลับ, ลับมาก, ลับที่สุด), on the officer's machine: the inner envelope is sealed and
opened here with the officer's personal keys; the node carries it without being able to read it.
  seal      make, sign and submit a classified letter
  cosign    add a second officer's signature (SECRET, TOP_SECRET)
  open      fetch, verify and decrypt a received one; send the signed opening acknowledgement
  forward   re-seal a received one to another officer of your agency
  destroy   record its destruction with a signed statement
  access    print its access record
The options of every subcommand follow (saraban-node classified --help).

${EXIT_HELP}
`

export const classifiedCommand: Command = {
  summary: 'classified letters on the officer\'s machine: seal, cosign, open, forward, destroy, access',
  // main.ts prints this for any `classified … --help`: the overview, then every subcommand's options.
  help: [HELP, ...Object.values(SUB).map((s) => s.help)].join('\n'),
  async run(argv) {
    const [name, ...rest] = argv
    const sub = name === undefined ? undefined : SUB[name]
    if (sub === undefined) {
      process.stderr.write(HELP)
      return 2
    }
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(sub.help)
      return 0
    }
    try {
      return await sub.run(rest)
    } catch (e) {
      if (e instanceof NodeUnreachable) {
        process.stderr.write(`saraban-node: ${e.message}\n`)
        return 3
      }
      if (e instanceof NodeRefused) {
        process.stderr.write(`saraban-node: the node refused: ${e.code}: ${e.message}\n`)
        return 1
      }
      if (e instanceof CliError || isSarabanError(e)) throw e // main.ts: 2 and 1, one sentence
      throw e
    }
  },
}
