// `saraban-node verify-evidence FILE`: offline check of an evidence bundle (PROTOCOL.md §8.3).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse, readInputFile, CliError } from './args.js'
import { parsePemChain } from '../pki/cert.js'
import { TrustAnchors } from '../pki/validate.js'
import { defaultProfiles } from '../crypto/profiles.js'
import { verifyEvidence } from '../services/evidence/index.js'
import { verifyTimeStampToken } from '../tsa/index.js'
import { packageRoot } from '../version.js'
import type { Command } from './commands.js'

export const verifyEvidenceCommand: Command = {
  summary: 'check an evidence bundle offline; exits non-zero on any failure',
  help: `Usage: saraban-node verify-evidence FILE [--anchors ROOT.pem]... [--strict]

Checks, without network access, every byte of an evidence bundle (v2 archive, or a v1 JSON bundle):
every envelope against its content key, every signature, certificate chain and receipt, each
signature at the time its RFC 3161 time-stamp proves, the signed directory and the CRLs in force at
that time, and every digest. Each line names the part of the bundle it is about.

Options:
  --anchors FILE   the federation root certificate(s) to trust (PEM; repeatable).
                   Default: certs-dev/root.crt.pem (the DEV federation), with a warning.
  --strict         also fail when a signature has no time-stamp or a certificate has no CRL in force
                   (by default these are reported as weaker claims).
Exit status: 0 all checks pass; 1 a check failed; 2 usage error (e.g. an --anchors file cannot be read).
`,
  async run(argv) {
    const { values, positionals } = parse(argv, { anchors: { type: 'string', multiple: true }, strict: { type: 'boolean' } }, true)
    if (positionals.length !== 1) throw new CliError('name exactly one evidence file')
    let anchorFiles = values.anchors ?? []
    if (anchorFiles.length === 0) {
      anchorFiles = [join(packageRoot(), 'certs-dev', 'root.crt.pem')]
      process.stderr.write('warning: no --anchors given; trusting the DEV federation root in certs-dev/\n')
    }
    const anchors = new TrustAnchors(anchorFiles.flatMap((f) => {
      const pem = readInputFile(f, '--anchors').toString('utf8')
      try {
        return parsePemChain(pem)
      } catch {
        throw new CliError(`${f} (--anchors) holds no PEM certificate; give the federation root certificate.`)
      }
    }))
    let bundle: Buffer
    try {
      bundle = readFileSync(positionals[0]!)
    } catch (err) {
      process.stdout.write(`✗ bundle: not readable: ${(err as Error).message}\nVERDICT: FAILED\n`)
      return 1
    }
    const report = await verifyEvidence(bundle, {
      anchors, profiles: defaultProfiles(), strict: values.strict === true, verifyTimeStampToken, // RFC 3161: src/tsa (PROTOCOL.md §13)
    })
    for (const f of report.findings) process.stdout.write(`${f.ok ? '✓' : '✗'} ${f.part}: ${f.detail}\n`)
    for (const w of report.weak) process.stdout.write(`~ weaker claim: ${w}\n`)
    process.stdout.write(report.ok
      ? `VERDICT: VALID — every signature, chain, digest and receipt checks out${report.weak.length > 0 ? ` (${report.weak.length} weaker claim(s), marked ~)` : ''}\n`
      : 'VERDICT: FAILED — see the ✗ lines above\n')
    return report.ok ? 0 : 1
  },
}
