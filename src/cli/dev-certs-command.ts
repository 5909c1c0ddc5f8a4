// `saraban-node dev-certs [--out DIR]`: regenerate the DEV-ONLY federation in certs-dev/.
import { resolve, join } from 'node:path'
import { writeDevCerts } from './dev-certs.js'
import { packageRoot } from '../version.js'
import { parse } from './args.js'
import type { Command } from './commands.js'

export const devCertsCommand: Command = {
  summary: 'regenerate the DEV-ONLY three-agency federation in certs-dev/',
  help: `Usage: saraban-node dev-certs [--out DIR]

Creates a dev root CA, an issuing CA, three agencies (moi: RSA, mof and dga: EC P-256) with
TLS, signing and encryption certificates, a signed directory and one node.json per agency.
DEV ONLY: the private keys are published in the repository. Never deploy them.

Options:
  --out DIR   where to write (default: certs-dev in the package)
`,
  async run(argv) {
    const { values } = parse(argv, { out: { type: 'string' } })
    const out = values.out ? resolve(values.out) : join(packageRoot(), 'certs-dev')
    await writeDevCerts(out)
    process.stdout.write(`wrote the DEV-ONLY federation to ${out}\n`)
    return 0
  },
}
