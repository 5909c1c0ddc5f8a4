// `saraban-node ca issue|revoke|crl`: the DEV federation CA in certs-dev/ (dev-ca-store.ts). Issues
// agency certificates from CSRs (`saraban-node init` makes them), revokes certificates and republishes
// the CRLs that nodes read (trust.crls; PROTOCOL.md §15.1). DEV ONLY.
import { readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parse, CliError } from './args.js'
import { EXIT } from './exit-codes.js'
import { openDevCa, publishCrls, revokeCertificate, saveState, spkiSha256, CRL_FILES } from './dev-ca-store.js'
import { parsePemChain, toPem, fingerprint } from '../pki/cert.js'
import { AGENCY_ROLES, OFFICER_ROLES, certifyCsr, type AgencyRole, type OfficerRole } from '../pki/dev-csr.js'
import { CRL_REASONS, type CrlReason } from '../pki/crl.js'
import { AGENCY_ID } from '../domain/ids.js'
import { packageRoot } from '../version.js'
import { SarabanError } from '../errors.js'
import type { Command } from './commands.js'

const HELP = `Usage: saraban-node ca <issue|revoke|crl> [options]

The DEV federation CA kept in <DIR>/ca, DIR being --ca (default certs-dev; DEV ONLY: its keys are public).

  ca issue --csr FILE --role tls|signing|encryption|officer-signing|officer-encryption --agency ID --out FILE [--days N] [--allow-key-reuse]
      Certifies a PKCS#10 request (from \`saraban-node init\`) for one role of an agency and writes
      the certificate chain (certificate, then the issuing CA) as PEM to --out. The officer-* roles
      certify a classified-information officer's personal keys (\`init --officer\`; PROTOCOL.md §19.1).
      One key, one role: a request whose public key this CA already certified for another role is
      refused (a TLS request sent as the signing one, say); --allow-key-reuse certifies it anyway.
  ca revoke --cert FILE [--reason REASON]
      Revokes the (first) certificate in FILE and republishes both CRLs in <DIR>/crl/.
      REASON: ${Object.keys(CRL_REASONS).join(', ')} (default unspecified).
  ca crl
      Republishes both CRLs in <DIR>/crl/ (new thisUpdate, nextUpdate and cRLNumber).

Common options:
  --ca DIR    the dev federation folder (default: certs-dev in the package)
`

const ROLES = [...AGENCY_ROLES, ...OFFICER_ROLES]
const ROLE_OF = new Set<string>(ROLES)

export const caCommand: Command = {
  summary: 'DEV CA: issue certificates from CSRs, revoke them, republish the CRLs',
  help: HELP,
  async run(argv) {
    const [sub, ...rest] = argv
    const { values } = parse(rest, {
      ca: { type: 'string' }, csr: { type: 'string' }, role: { type: 'string' }, agency: { type: 'string' },
      out: { type: 'string' }, days: { type: 'string' }, cert: { type: 'string' }, reason: { type: 'string' }, 'allow-key-reuse': { type: 'boolean' },
    })
    const dir = values.ca ? resolve(values.ca) : join(packageRoot(), 'certs-dev')
    switch (sub) {
      case 'issue': {
        if (!values.csr || !values.role || !values.agency || !values.out) throw new CliError('ca issue needs --csr, --role, --agency and --out')
        if (!ROLE_OF.has(values.role)) throw new CliError(`--role must be one of ${ROLES.join(', ')}`)
        if (!AGENCY_ID.test(values.agency)) throw new CliError('--agency must be an agency id (PROTOCOL.md §1.1)')
        const ca = await openDevCa(dir)
        const days = values.days === undefined ? ca.state.certValidityDays : Number(values.days)
        if (!Number.isInteger(days) || days < 1 || days > 36500) throw new CliError('--days must be a whole number of days, 1 to 36500')
        const now = Date.now()
        let cert
        try {
          cert = await certifyCsr(ca.issuing, readFileSync(values.csr), {
            role: values.role as AgencyRole | OfficerRole, agency: values.agency, notBefore: new Date(now - 3600_000), notAfter: new Date(now + days * 86_400_000),
          })
        } catch (e) {
          throw new SarabanError('ERR_REQUEST_INVALID', `${values.csr}: ${(e as Error).message}`)
        }
        // Issue 21 §4: one key, one role. Checked on the certificate made, before anything is written or recorded.
        const spki = spkiSha256(cert)
        // A renewal (the key already holds this role) passes; so, afterwards, does a reuse once allowed.
        const same = (ca.state.issued ?? []).filter((r) => r.spkiSha256 === spki)
        const other = same.find((r) => r.role !== values.role)
        if (other !== undefined && !same.some((r) => r.role === values.role) && values['allow-key-reuse'] !== true) {
          throw new CliError(`${values.csr}: this public key is already certified for the ${other.role} role of "${other.agency}" (serial ${other.serial}); one key, one role: ask for a request made with the ${values.role} key (init writes ${values.role}.csr.pem), or pass --allow-key-reuse if this is deliberate.`, EXIT.FAILED)
        }
        writeFileSync(values.out, toPem(cert) + ca.issuing.chain.map(toPem).join(''))
        ca.state.issued = [...(ca.state.issued ?? []), { serial: cert.serialNumber.toLowerCase(), agency: values.agency, role: values.role, spkiSha256: spki, issuedAt: new Date(now).toISOString() }]
        await saveState(ca)
        process.stdout.write(`issued ${values.role} certificate for "${values.agency}": serial ${cert.serialNumber.toLowerCase()}, valid until ${new Date(cert.validTo).toISOString()}\n`
          + `  SHA-256 ${fingerprint(cert)}\n  wrote ${values.out} (certificate + issuing CA)\n`)
        return 0
      }
      case 'revoke': {
        if (!values.cert) throw new CliError('ca revoke needs --cert')
        const reason = (values.reason ?? 'unspecified') as CrlReason
        if (!(reason in CRL_REASONS)) throw new CliError(`--reason must be one of ${Object.keys(CRL_REASONS).join(', ')}`)
        const ca = await openDevCa(dir)
        const cert = parsePemChain(readFileSync(values.cert, 'utf8'))[0]!
        let entry
        try {
          entry = await revokeCertificate(ca, cert, reason)
        } catch (e) {
          throw new SarabanError('ERR_REQUEST_INVALID', `${values.cert}: ${(e as Error).message}`)
        }
        process.stdout.write(`revoked serial ${entry.serial} (${entry.subject}) since ${entry.revokedAt}, reason ${entry.reason}\n`
          + `published CRL number ${ca.state.crlNumber}: ${join(dir, CRL_FILES.root)}, ${join(dir, CRL_FILES['issuing-ca'])}\n`)
        return 0
      }
      case 'crl': {
        const ca = await openDevCa(dir)
        await publishCrls(ca)
        process.stdout.write(`published CRL number ${ca.state.crlNumber}: ${join(dir, CRL_FILES.root)}, ${join(dir, CRL_FILES['issuing-ca'])}\n`)
        return 0
      }
      default:
        throw new CliError('name a subcommand: ca issue, ca revoke or ca crl (see --help)')
    }
  },
}
