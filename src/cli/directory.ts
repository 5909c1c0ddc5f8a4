// `saraban-node directory sign|serve`: the federation operator's tools (PROTOCOL.md §14.1, §14.6).
import { readFileSync, existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { parsePemChain } from '../pki/cert.js'
import { loadPrivateKey } from '../pki/keys.js'
import { TrustAnchors } from '../pki/validate.js'
import { checkSignedDirectory, signDirectory } from '../pki/directory.js'
import { writeAtomic } from '../services/sources/kept-copy.js'
import { createLogger } from '../log.js'
import { LOG_LEVELS } from '../config/index.js'
import { CliError, parse } from './args.js'
import type { Command } from './commands.js'
import { directoryFromInput, publishedSerial } from './directory-input.js'
import { buildPublishServer } from './publish-server.js'

const SIGN_HELP = `Usage: saraban-node directory sign --in PLAIN.json --key KEY.pem --cert CHAIN.pem --out directory.jws
                                [--anchors ROOT.pem]... [--serial N] [--valid-days D]

Builds the federation directory from a plain JSON file and signs it (JWS, PROTOCOL.md §1.4).
The input is the directory payload; certificates may be written "file:PATH" (PEM, relative to the
input file). Missing version/issuedAt/nextUpdate/serial are filled in: issuedAt = now,
nextUpdate = issuedAt + --valid-days, serial = the serial in --out + 1 (or 1).
A serial not above the one already in --out is refused: nodes would refuse it too.

Options:
  --in FILE          plain directory JSON
  --key FILE         the directory signing key (PEM; passphrase from SARABAN_DIRECTORY_KEY_PASSPHRASE)
  --cert FILE        its certificate chain, leaf first (PEM): becomes the x5c header
  --out FILE         where to write the signed directory (replaced atomically)
  --anchors FILE     federation root(s): check the result verifies as a node would (recommended)
  --serial N         serial to use (overrides the input)
  --valid-days D     default nextUpdate distance in days (default 7)
`

const SERVE_HELP = `Usage: saraban-node directory serve --dir FOLDER --cert CHAIN.pem --key KEY.pem [--port 8440] [--host 127.0.0.1]

Publishes the signed directory (*.jws) and CRLs (*.crl) in FOLDER over HTTPS, with ETags,
until SIGINT/SIGTERM. Files are read at every request: replace them to publish.

Options:
  --dir FOLDER   what to publish
  --cert FILE    the server certificate chain (PEM)
  --key FILE     its key (PEM)
  --port N       default 8440
  --host H       default 127.0.0.1
`

async function sign(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    in: { type: 'string' }, key: { type: 'string' }, cert: { type: 'string' }, out: { type: 'string' },
    anchors: { type: 'string', multiple: true }, serial: { type: 'string' }, 'valid-days': { type: 'string' },
  })
  if (!values.in || !values.key || !values.cert || !values.out) throw new CliError('directory sign needs --in, --key, --cert and --out (see --help)')
  const int = (v: string | undefined, name: string, min: number) => {
    if (v === undefined) return undefined
    if (!/^[0-9]{1,15}$/.test(v) || Number(v) < min) throw new CliError(`--${name} must be an integer ≥ ${min}`)
    return Number(v)
  }
  const serial = int(values.serial, 'serial', 0)
  const validDays = int(values['valid-days'], 'valid-days', 1) ?? 7
  const inFile = resolve(values.in)
  const out = resolve(values.out)
  let input: unknown
  try {
    input = JSON.parse(readFileSync(inFile, 'utf8'))
  } catch (err) {
    throw new CliError(`cannot read ${inFile}: ${(err as Error).message}`)
  }
  const previousSerial = existsSync(out) ? publishedSerial(readFileSync(out, 'utf8')) : undefined
  const doc = directoryFromInput(input, inFile, { now: new Date(), validDays, ...(serial !== undefined ? { serial } : {}), ...(previousSerial !== undefined ? { previousSerial } : {}) })
  const key = loadPrivateKey(readFileSync(resolve(values.key), 'utf8'), process.env['SARABAN_DIRECTORY_KEY_PASSPHRASE'] || undefined)
  const chain = parsePemChain(readFileSync(resolve(values.cert), 'utf8'))
  const jws = await signDirectory(doc, { key, chain })
  if (values.anchors?.length) {
    const anchors = new TrustAnchors(values.anchors.flatMap((f) => parsePemChain(readFileSync(resolve(f), 'utf8'))))
    await checkSignedDirectory(jws, anchors, new Date()) // throws ERR_DIRECTORY_INVALID naming the problem
  } else {
    process.stderr.write('warning: no --anchors given; the signer chain was not checked against the federation root\n')
  }
  writeAtomic(out, Buffer.from(jws + '\n', 'utf8'))
  process.stdout.write(`signed directory serial ${doc.serial}: ${doc.agencies.length} agencies, issued ${doc.issuedAt}, next update ${doc.nextUpdate} → ${out}\n`)
  return 0
}

async function serve(argv: string[]): Promise<number> {
  const { values } = parse(argv, { dir: { type: 'string' }, cert: { type: 'string' }, key: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' } })
  if (!values.dir || !values.cert || !values.key) throw new CliError('directory serve needs --dir, --cert and --key (see --help)')
  const port = values.port === undefined ? 8440 : Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError('--port must be 0-65535')
  const wanted = (process.env['LOG_LEVEL'] ?? 'info').toLowerCase()
  const log = createLogger(LOG_LEVELS.find((l) => l === wanted) ?? 'info')
  const app = await buildPublishServer({ dir: resolve(values.dir), tls: { key: readFileSync(resolve(values.key)), cert: readFileSync(resolve(values.cert)) }, log })
  const address = await app.listen({ host: values.host ?? '127.0.0.1', port })
  process.stderr.write(`saraban-node: publishing ${resolve(values.dir)} (*.jws, *.crl) at ${address}\n`)
  await new Promise<void>((done) => {
    process.once('SIGINT', () => done())
    process.once('SIGTERM', () => done())
  })
  await app.close()
  return 0
}

export const directoryCommand: Command = {
  summary: 'federation operator: sign the directory, publish it over HTTPS',
  help: `Usage: saraban-node directory <sign|serve> [options]\n\n${SIGN_HELP}\n${SERVE_HELP}`,
  async run(argv) {
    const [sub, ...rest] = argv
    if (sub === 'sign') return sign(rest)
    if (sub === 'serve') return serve(rest)
    throw new CliError(`directory: unknown subcommand ${sub === undefined ? '(none)' : `"${sub}"`}; use sign or serve`)
  },
}
