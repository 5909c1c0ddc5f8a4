// `saraban-node dev-certs [--out DIR] [--base-port N]`: regenerate the DEV-ONLY federation in certs-dev/.
import { resolve, join } from 'node:path'
import { writeDevCerts } from './dev-certs.js'
import { basePortOption, devPorts, BASE_PORT_SPAN } from './dev-ports.js'
import { packageRoot } from '../version.js'
import { parse } from './args.js'
import type { Command } from './commands.js'

export const devCertsCommand: Command = {
  summary: 'regenerate the DEV-ONLY three-agency federation in certs-dev/',
  help: `Usage: saraban-node dev-certs [--out DIR] [--base-port N]

Creates a dev root CA, an issuing CA, three agencies (moi: RSA, mof and dga: EC P-256) with
TLS, signing and encryption certificates, a signed directory, one node.json per agency and
ports.env (the ports, for a shell: . certs-dev/ports.env).
DEV ONLY: the private keys are published in the repository. Never deploy them.

Options:
  --out DIR       where to write (default: certs-dev in the package). The nodes' data goes to
                  DIR/data/<agency> (for the package's certs-dev: data/<agency> in the package).
  --base-port N   every port from N: TSA N, directory server N+1, federation moi/mof/dga N+2..N+4
                  (the signed directory's endpoints), APIs N+10..N+12; N+5/N+13 for a new agency
                  and N+6/N+14 for the demo's hosting node. Uses N..N+${BASE_PORT_SPAN}. Default: the
                  environment variable SARABAN_BASE_PORT, else the historic ports (federation
                  8443-8445, API 8080-8082, TSA 3180, directory server 8440).
`,
  async run(argv) {
    const { values } = parse(argv, { out: { type: 'string' }, 'base-port': { type: 'string' } })
    const ports = devPorts(basePortOption(values['base-port']))
    const out = values.out ? resolve(values.out) : join(packageRoot(), 'certs-dev')
    await writeDevCerts(out, ports, values.out ? 'data' : '../data')
    const a = ports.agencies
    process.stdout.write(`wrote the DEV-ONLY federation to ${out}: federation moi ${a.moi.federation}, mof ${a.mof.federation}, dga ${a.dga.federation}; API ${a.moi.api}, ${a.mof.api}, ${a.dga.api} (${join(out, 'ports.env')})\n`)
    return 0
  },
}
