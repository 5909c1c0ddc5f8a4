// `saraban-node tsa --cert C --key K`: run the development RFC 3161 time-stamping authority (PROTOCOL.md
// §13.1) until SIGINT/SIGTERM. With --anchors, the TSA certificate must first validate for the tsa role.
import { readFileSync } from 'node:fs'
import { createLogger } from '../log.js'
import { systemClock } from '../clock.js'
import { parsePemChain } from '../pki/cert.js'
import { loadPrivateKey } from '../pki/keys.js'
import { TrustAnchors } from '../pki/validate.js'
import { buildTsaServer } from '../tsa/server.js'
import { parse, CliError } from './args.js'
import type { Command } from './commands.js'

export const tsaCommand: Command = {
  summary: 'run a small RFC 3161 time-stamping authority (development and tests)',
  help: `Usage: saraban-node tsa --cert CHAIN.pem --key KEY.pem [--port N] [--host H] [--anchors ROOT.pem]...

Answers RFC 3161 time-stamp requests: HTTP POST of application/timestamp-query to /, answered with
application/timestamp-reply. Nodes use it through "tsa": { "url": "http://HOST:PORT/" } in node.json.

Options:
  --cert FILE      the TSA certificate (EKU id-kp-timeStamping, critical) then its intermediates (PEM)
  --key FILE       its private key (PEM, RSA or EC P-256)
  --port N         listen port (default 3180; 0 picks a free one)
  --host H         listen address (default 127.0.0.1)
  --anchors FILE   federation root(s): refuse to start unless the certificate is valid for the tsa role
Environment: LOG_LEVEL (default info).
Exit status: 0 after SIGINT/SIGTERM; 1 the certificate does not validate; 2 usage error.
`,
  async run(argv) {
    const { values } = parse(argv, {
      cert: { type: 'string' }, key: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' },
      anchors: { type: 'string', multiple: true },
    })
    if (!values.cert || !values.key) throw new CliError('--cert and --key are required (see --help)')
    const port = Number(values.port ?? 3180)
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError('--port must be 0..65535')
    const chain = parsePemChain(readFileSync(values.cert, 'utf8'))
    const key = loadPrivateKey(readFileSync(values.key, 'utf8'))
    if (values.anchors?.length) {
      const anchors = new TrustAnchors(values.anchors.flatMap((f) => parsePemChain(readFileSync(f, 'utf8'))))
      const check = await anchors.validate(chain, { at: new Date(), role: 'tsa' })
      if (!check.ok) {
        process.stderr.write(`saraban-node tsa: the certificate is not valid for the tsa role: ${check.reason}\n`)
        return 1
      }
    }
    const log = createLogger((process.env.LOG_LEVEL as 'info' | undefined) ?? 'info').child({ area: 'tsa' })
    const app = await buildTsaServer({ signer: { key, chain }, clock: systemClock, log })
    const address = await app.listen({ host: values.host ?? '127.0.0.1', port })
    process.stderr.write(`saraban-node tsa: time-stamping at ${address}/ (RFC 3161 over HTTP)\n`)
    await new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve())
      process.once('SIGTERM', () => resolve())
    })
    await app.close()
    return 0
  },
}
