// `saraban-node start [--config FILE]`: run a node until SIGINT/SIGTERM, then close gracefully:
// stop claiming work, finish or leave queued what is in flight, flush SQLite. A node that cannot
// start does not half-start (issue 21 §2): the files the config names are checked first, and a
// listener that cannot bind closes what was opened before the command exits non-zero.
import { loadConfig, redactedConfig, type Config } from '../config/index.js'
import { assertConfigFiles } from '../config/files.js'
import { createContext, type AppContext } from '../context.js'
import { packageRoot } from '../version.js'
import { parse, CliError } from './args.js'
import { EXIT } from './exit-codes.js'
import { errno, errnoReason } from './errno.js'
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
Signals: SIGINT, SIGTERM stop the node gracefully (deliveries in flight get delivery.shutdownGraceMs,
  default 20 s, to finish; exit 0). SIGHUP re-reads the config file's api.keys (a key
  added works, a key removed stops working; other changes need a restart), rescans
  hosting.agenciesDir, and reloads the directory and the CRLs now.
Exit status: 0 stopped by a signal; 3 a port is in use; 4 the config file or a file it names is wrong.
`,
  async run(argv) {
    const { values } = parse(argv, { config: { type: 'string' } })
    const load = () => loadConfig({ file: values.config, env: process.env, packageRoot: packageRoot() })
    const config = load()
    assertConfigFiles(config)
    const ctx = await createContext(config)
    ctx.log.info({ event: 'node.starting', config: redactedConfig(config) }, 'starting')
    const { federationUrl, apiUrl } = await listenOrClose(ctx, config)
    ctx.log.info({ event: 'node.listening', federationUrl, apiUrl, agencies: ctx.hosted.ids() }, 'listening')
    process.stderr.write(
      `saraban-node: agencies ${ctx.hosted.ids().join(', ')}; federation ${federationUrl}; API ${apiUrl} (OpenAPI at ${apiUrl}/api/v1/openapi.json, Swagger UI at ${apiUrl}/docs)\n` +
        (values.config ? '' : `saraban-node: running on embedded DEV defaults (certs-dev/, never for production); dev API key: dev-moi-key\n`),
    )
    const reload = () => {
      let apiKeys
      try {
        apiKeys = load().api.keys
      } catch (err) {
        ctx.log.error({ event: 'config.reload-failed', reason: (err as Error).message }, 'the config file cannot be read again; the API keys stay as they were')
      }
      void ctx.reload(apiKeys ? { apiKeys } : undefined)
    }
    await new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        ctx.log.info({ event: 'node.stopping', signal }, 'stopping')
        process.off('SIGHUP', reload)
        resolve()
      }
      // PROTOCOL.md §16.3 (the hosted agencies folder) and issue 21 §2 (API keys, directory, CRLs).
      process.on('SIGHUP', reload)
      process.once('SIGINT', () => stop('SIGINT'))
      process.once('SIGTERM', () => stop('SIGTERM'))
    })
    // Issue 17 item 8: no new connection from now on (requests in flight finish; peers and saraban
    // systems retry later), then the deliveries in flight get delivery.shutdownGraceMs, then close.
    for (const server of [ctx.federation.server, ctx.api.server]) server.close(() => {})
    await ctx.close()
    ctx.log.info({ event: 'node.stopped' }, 'stopped')
    return EXIT.OK
  },
}

/** Binds both listeners; on failure closes everything opened (a bound federation port too) and says which port. */
async function listenOrClose(ctx: AppContext, config: Config): Promise<{ federationUrl: string; apiUrl: string }> {
  try {
    return await ctx.listen()
  } catch (err) {
    await ctx.close()
    const e = errno(err)
    if (e.syscall !== 'listen' && e.code !== 'EADDRINUSE') throw err
    const federation = e.port === config.federation.port
    const key = federation ? 'federation.port' : 'api.port'
    const env = federation ? 'SARABAN_FEDERATION_PORT' : 'SARABAN_API_PORT'
    const host = federation ? config.federation.host : config.api.host
    const port = e.port ?? (federation ? config.federation.port : config.api.port)
    throw new CliError(
      `cannot listen on ${host}:${port} (${errnoReason(err)}): it is ${key} in ${config.file} (or ${env}); stop the program that uses the port, or choose another port.`,
      EXIT.UNAVAILABLE,
    )
  }
}
