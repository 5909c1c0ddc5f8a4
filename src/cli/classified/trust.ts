// Officer certificates checked on the officer's machine (PROTOCOL.md §19, classified-design.md §2
// "validated to the federation roots"): with --anchors, every certificate the CLI takes from the
// node's directory view (recipients' encryption certificates at seal and forward, signers' signing
// certificates at open) must have an RFC 5280 path to those roots with its role's key usage, so that
// a node cannot slip in a key of its own. Without --anchors the CLI relies on the node's view of the
// signed directory, and says so in --help.
import { readFileSync } from 'node:fs'
import type { X509Certificate } from 'node:crypto'
import { SarabanError } from '../../errors.js'
import { parsePemChain } from '../../pki/cert.js'
import { TrustAnchors } from '../../pki/validate.js'
import { CliError } from '../args.js'

export const TRUST_OPTIONS = { anchors: { type: 'string' } } as const
export const TRUST_HELP = `Trust:
  --anchors ROOTS.pem    the federation root (and issuing CA) certificates; officer certificates from
                         the node's directory view must chain to them (recommended: without it, the
                         node's directory view is trusted as given)`

export type OfficerCertCheck = (certs: readonly X509Certificate[], role: 'signing' | 'encryption', intermediates?: readonly X509Certificate[]) => Promise<void>

export function officerTrust(anchorsFile: string | undefined): OfficerCertCheck {
  if (anchorsFile === undefined) return async () => {}
  let certs: X509Certificate[]
  try {
    certs = parsePemChain(readFileSync(anchorsFile, 'utf8'))
  } catch {
    throw new CliError(`${anchorsFile}: the anchors file cannot be read as PEM certificates.`)
  }
  if (certs.length === 0) throw new CliError(`${anchorsFile}: holds no certificate.`)
  const roots = certs.filter((c) => c.subject === c.issuer)
  const anchors = new TrustAnchors(roots, { intermediates: certs.filter((c) => !roots.includes(c)) })
  return async (list, role, intermediates = []) => {
    for (const cert of list) {
      const r = await anchors.validate([cert, ...intermediates.filter((c) => !c.raw.equals(cert.raw))], { at: new Date(), role })
      if (!r.ok) {
        throw new SarabanError(role === 'encryption' ? 'ERR_RECIPIENT_CERT_INVALID' : 'ERR_SIGNER_UNTRUSTED',
          `An officer ${role} certificate from the node's directory (${cert.subject.split('\n').join(', ')}) does not chain to ${anchorsFile}: ${r.reason}; do not use this node until the federation operator has checked it.`)
      }
    }
  }
}
