// `saraban-node verify-evidence FILE`: offline check of an evidence bundle (PROTOCOL.md §8.3).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse, CliError } from './args.js'
import { parsePemChain } from '../pki/cert.js'
import { TrustAnchors } from '../pki/validate.js'
import { defaultProfiles } from '../crypto/profiles.js'
import { verifyEvidence } from '../services/evidence.js'
import { packageRoot } from '../version.js'
import type { Command } from './commands.js'

export const verifyEvidenceCommand: Command = {
  summary: 'check an evidence bundle offline; exits non-zero on any failure',
  help: `Usage: saraban-node verify-evidence FILE [--anchors ROOT.pem]...

Checks every signature, every certificate chain up to the federation root you name, the signed
directory, every digest and every receipt in an evidence bundle, without network access.

Options:
  --anchors FILE   the federation root certificate(s) to trust (PEM; repeatable).
                   Default: certs-dev/root.crt.pem (the DEV federation), with a warning.
Exit status: 0 all checks pass; 1 a check failed; 2 usage error.
`,
  async run(argv) {
    const { values, positionals } = parse(argv, { anchors: { type: 'string', multiple: true } }, true)
    if (positionals.length !== 1) throw new CliError('name exactly one evidence file')
    let anchorFiles = values.anchors ?? []
    if (anchorFiles.length === 0) {
      anchorFiles = [join(packageRoot(), 'certs-dev', 'root.crt.pem')]
      process.stderr.write('warning: no --anchors given; trusting the DEV federation root in certs-dev/\n')
    }
    const anchors = new TrustAnchors(anchorFiles.flatMap((f) => parsePemChain(readFileSync(f, 'utf8'))))
    let bundle: unknown
    try {
      bundle = JSON.parse(readFileSync(positionals[0]!, 'utf8'))
    } catch (err) {
      process.stdout.write(`✗ bundle: not readable JSON: ${(err as Error).message}\nVERDICT: FAILED\n`)
      return 1
    }
    const report = await verifyEvidence(bundle, { anchors, profiles: defaultProfiles() })
    for (const f of report.findings) process.stdout.write(`${f.ok ? '✓' : '✗'} ${f.part}: ${f.detail}\n`)
    process.stdout.write(report.ok ? 'VERDICT: VALID — every signature, chain, digest and receipt checks out\n' : 'VERDICT: FAILED — see the ✗ lines above\n')
    return report.ok ? 0 : 1
  },
}
