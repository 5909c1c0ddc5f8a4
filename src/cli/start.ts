// `saraban-node start [--config FILE]`: run a node until SIGINT/SIGTERM, then close gracefully:
// stop claiming work, finish or leave queued what is in flight, flush SQLite.
import { loadConfig, redactedConfig } from '../config/index.js'
import { createContext } from '../context.js'
import { packageRoot } from '../version.js'
import { parse } from './args.js'
import type { Command } from './commands.js'

export const startCommand: Command = {
  summary: 'run a node (embedded dev defaults without --config)',
  help: `Usage: saraban-node start [--config FILE]

Runs a federation node: the mTLS federation listener and the local REST API.
Without --config it runs the first dev agency (moi) from certs-dev/ with data in ./data/moi (the
same database as --config certs-dev/moi/node.json when run from the package folder).

Options:
  --config FILE   node configuration (JSON, see README "Configuration")
Environment: SARABAN_DATA_DIR, SARABAN_API_HOST, SARABAN_API_PORT, SARABAN_FEDERATION_HOST,
  SARABAN_FEDERATION_PORT, SARABAN_API_KEY, LOG_LEVEL override the file.
`,
  async run(argv) {
    const { values } = parse(argv, { config: { type: 'string' } })
    const config = loadConfig({ file: values.config, env: process.env, packageRoot: packageRoot() })
    const ctx = await createContext(config)
    ctx.log.info({ event: 'node.starting', config: redactedConfig(config) }, 'starting')
    const { federationUrl, apiUrl } = await ctx.listen()
    ctx.log.info({ event: 'node.listening', federationUrl, apiUrl, agencies: ctx.hosted.ids() }, 'listening')
    process.stderr.write(
      `saraban-node: agencies ${ctx.hosted.ids().join(', ')}; federation ${federationUrl}; API ${apiUrl} (OpenAPI at ${apiUrl}/docs)\n` +
        (values.config ? '' : `saraban-node: running on embedded DEV defaults (certs-dev/, never for production); dev API key: dev-moi-key\n`),
    )
    await new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        ctx.log.info({ event: 'node.stopping', signal }, 'stopping')
        resolve()
      }
      // PROTOCOL.md §16.3: SIGHUP rescans the hosted agencies folder (hosting.agenciesDir) now.
      process.on('SIGHUP', () => ctx.reloadAgencies())
      process.once('SIGINT', () => stop('SIGINT'))
      process.once('SIGTERM', () => stop('SIGTERM'))
    })
    await ctx.close()
    ctx.log.info({ event: 'node.stopped' }, 'stopped')
    return 0
  },
}
