// The command table: one row per `saraban-node <command>`.
import { startCommand } from './start.js'
import { devCertsCommand } from './dev-certs-command.js'
import { demoCommand } from './demo.js'
import { sendCommand } from './send.js'
import { verifyEvidenceCommand } from './verify-evidence.js'
import { directoryCommand } from './directory.js'
import { caCommand } from './ca.js'
import { initCommand } from './init.js'
import { tsaCommand } from './tsa.js'
import { retryCommand } from './retry.js'
import { classifiedCommand } from './classified/index.js'
import { EXIT_CODES_HELP } from './exit-codes.js'
import { logCommand } from './log/index.js'
import { conformanceCommand } from './conformance.js'
import { renewCommand } from './renew.js'
import { doctorCommand } from './doctor.js'
import { migrateCommand } from './migrate.js'
import { backupCommand, restoreCommand } from './backup.js'
import { storageCommand } from './storage.js'

export interface Command {
  readonly summary: string
  readonly help: string
  run(argv: string[]): Promise<number>
}

export const commands: Record<string, Command> = {
  start: startCommand,
  'dev-certs': devCertsCommand,
  demo: demoCommand,
  send: sendCommand,
  retry: retryCommand,
  'verify-evidence': verifyEvidenceCommand,
  directory: directoryCommand,
  init: initCommand,
  ca: caCommand,
  tsa: tsaCommand,
  classified: classifiedCommand,
  log: logCommand,
  conformance: conformanceCommand,
  renew: renewCommand,
  doctor: doctorCommand,
  migrate: migrateCommand,
  backup: backupCommand,
  restore: restoreCommand,
  storage: storageCommand,
}

export function usage(): string {
  const rows = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(17)} ${c.summary}`)
  return [
    'Usage: saraban-node <command> [options]',
    '',
    'Federated exchange of Thai official letters: signed, encrypted, delivered over mutual TLS.',
    '',
    'Commands:',
    ...rows,
    '',
    'Run "saraban-node <command> --help" for the options of a command.',
    '',
    EXIT_CODES_HELP,
  ].join('\n')
}
