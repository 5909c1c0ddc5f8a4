// What a certificate may be used for, per role: a table (house style §2) checked on the leaf after
// path validation, plus the RFC 5280 §6.1 checks pkijs 3 leaves out (pathLenConstraint, unknown
// critical extensions). Each function returns a reason string, or undefined when the check passes.
import type { X509Certificate } from 'node:crypto'
import type { CertRole } from './cert.js'
import { certFacts, KEY_USAGE_BIT } from './cert-facts.js'
import { keyKind } from './keys.js'
import type { KeyKind } from './keys.js'
import {
  KNOWN_EXTENSIONS, OID_EKU_ANY, OID_EKU_CLIENT_AUTH, OID_EKU_DOCUMENT_SIGNING, OID_EKU_EMAIL_PROTECTION,
  OID_EKU_MS_DOCUMENT_SIGNING, OID_EKU_SARABAN_DIRECTORY, OID_EKU_SERVER_AUTH, OID_EKU_TIME_STAMPING,
  OID_EXT_EXT_KEY_USAGE,
} from './oids.js'

// nonRepudiation is "contentCommitment" in RFC 5280 §4.2.1.3.
type Ku = 'digitalSignature' | 'nonRepudiation' | 'keyEncipherment' | 'keyAgreement' | 'keyCertSign'

interface RoleRule {
  /** key kinds allowed for the leaf's public key */
  keys: readonly KeyKind[]
  /** KU bits: every one of `all` and at least one of `any`, chosen by key family */
  ku: (family: 'rsa' | 'ec') => { all?: readonly Ku[]; any?: readonly Ku[] }
  /** EKU: `required` purposes must all be present; otherwise, when the extension is present, it must
   *  name one of `allowed` (RFC 5280 §4.2.1.12: an absent EKU does not restrict the purpose). */
  eku: { required?: readonly string[]; allowed?: readonly string[]; only?: boolean; critical?: boolean }
  ca: boolean
}

// PROTOCOL.md §1.2 (certificates and roles). A TLS certificate cannot sign letters, a letter-signing
// certificate cannot sign the directory, and so on: each role's EKU rule keeps the others out.
export const ROLE_RULES: Readonly<Record<CertRole, RoleRule>> = {
  tls: {
    keys: ['rsa', 'ec-p256', 'ec-p384'],
    ku: () => ({ all: ['digitalSignature'] }),
    eku: { required: [OID_EKU_SERVER_AUTH, OID_EKU_CLIENT_AUTH] },
    ca: false,
  },
  signing: {
    keys: ['rsa', 'ec-p256'],
    ku: () => ({ any: ['digitalSignature', 'nonRepudiation'] }),
    eku: { allowed: [OID_EKU_ANY, OID_EKU_EMAIL_PROTECTION, OID_EKU_DOCUMENT_SIGNING, OID_EKU_MS_DOCUMENT_SIGNING] },
    ca: false,
  },
  encryption: {
    keys: ['rsa', 'ec-p256'],
    ku: (family) => ({ all: [family === 'rsa' ? 'keyEncipherment' : 'keyAgreement'] }),
    eku: { allowed: [OID_EKU_ANY, OID_EKU_EMAIL_PROTECTION] },
    ca: false,
  },
  directory: {
    keys: ['rsa', 'ec-p256'],
    ku: () => ({ all: ['digitalSignature'] }),
    eku: { required: [OID_EKU_SARABAN_DIRECTORY] },
    ca: false,
  },
  // RFC 3161 §2.3: the TSA's certificate MUST carry exactly one extendedKeyUsage, id-kp-timeStamping,
  // and the extension MUST be critical (OpenSSL's `ts -verify` refuses anything else). PROTOCOL.md §13.
  tsa: {
    keys: ['rsa', 'ec-p256'],
    ku: () => ({ any: ['digitalSignature', 'nonRepudiation'] }),
    eku: { required: [OID_EKU_TIME_STAMPING], only: true, critical: true },
    ca: false,
  },
  // PROTOCOL.md §1.2, §19.1: an officer's personal keys sign statements and inner envelopes (CMS, as
  // S/MIME does) and open inner envelopes; they never sign or open node-to-node envelopes.
  'officer-signing': {
    keys: ['rsa', 'ec-p256'],
    ku: () => ({ any: ['digitalSignature', 'nonRepudiation'] }),
    eku: { allowed: [OID_EKU_ANY, OID_EKU_EMAIL_PROTECTION, OID_EKU_DOCUMENT_SIGNING, OID_EKU_MS_DOCUMENT_SIGNING] },
    ca: false,
  },
  'officer-encryption': {
    keys: ['rsa', 'ec-p256'],
    ku: (family) => ({ all: [family === 'rsa' ? 'keyEncipherment' : 'keyAgreement'] }),
    eku: { allowed: [OID_EKU_ANY, OID_EKU_EMAIL_PROTECTION] },
    ca: false,
  },
  ca: {
    keys: ['rsa', 'ec-p256', 'ec-p384'],
    ku: () => ({ all: ['keyCertSign'] }),
    eku: {},
    ca: true,
  },
}

/** Checks the leaf against ROLE_RULES[role]. */
export function checkRole(leaf: X509Certificate, role: CertRole): string | undefined {
  const rule = ROLE_RULES[role]
  let kind: KeyKind
  try {
    kind = keyKind(leaf)
  } catch (e) {
    return (e as Error).message
  }
  if (!rule.keys.includes(kind)) return `a ${kind} key cannot be used for the ${role} role`
  let c
  try {
    c = certFacts(leaf)
  } catch (e) {
    return `the certificate could not be processed: ${(e as Error).message}`
  }

  if (rule.ca !== c.ca) return rule.ca ? 'not a CA certificate' : 'a CA certificate cannot be used for the ' + role + ' role'

  const ku = c.keyUsage
  if (ku === undefined) return 'the certificate has no keyUsage extension'
  const want = rule.ku(kind === 'rsa' ? 'rsa' : 'ec')
  const has = (k: Ku) => (ku & (1 << KEY_USAGE_BIT[k])) !== 0
  const missing = (want.all ?? []).filter((k) => !has(k))
  if (missing.length > 0) return `keyUsage lacks ${missing.join(', ')} (needed for the ${role} role)`
  if (want.any && !want.any.some(has)) return `keyUsage has none of ${want.any.join(', ')} (needed for the ${role} role)`

  // node:crypto names it keyUsage, but it is the extendedKeyUsage list (OpenSSL's parse; undefined if absent).
  const eku = leaf.keyUsage as string[] | undefined
  const purposes = eku ?? []
  const absent = (rule.eku.required ?? []).filter((p) => !purposes.includes(p))
  if (absent.length > 0) return `extendedKeyUsage lacks ${absent.join(', ')} (needed for the ${role} role)`
  if (eku && rule.eku.allowed && !purposes.some((p) => rule.eku.allowed!.includes(p))) {
    return `extendedKeyUsage ${purposes.join(', ')} does not allow the ${role} role`
  }
  if (rule.eku.only && purposes.length !== (rule.eku.required ?? []).length) {
    return `extendedKeyUsage must list only ${(rule.eku.required ?? []).join(', ')} for the ${role} role`
  }
  if (rule.eku.critical && c.extensions.find((e) => e.oid === OID_EXT_EXT_KEY_USAGE)?.critical !== true) {
    return `extendedKeyUsage must be critical for the ${role} role`
  }
  return undefined
}

/** RFC 5280 §6.1.4 (l)(m) pathLenConstraint and §4.2 unknown critical extensions, on a validated
 *  path ordered leaf..anchor. pkijs 3 checks neither. */
export function checkPathConstraints(path: readonly X509Certificate[]): string | undefined {
  for (const [i, cert] of path.entries()) {
    let c
    try {
      c = certFacts(cert)
    } catch (e) {
      return `${cert.subject.replace(/\n/g, ', ')} could not be processed: ${(e as Error).message}`
    }
    const isAnchor = i === path.length - 1
    if (!isAnchor) {
      const unknown = c.extensions.find((e) => e.critical && !KNOWN_EXTENSIONS.has(e.oid))
      if (unknown) return `unrecognised critical extension ${unknown.oid} in ${cert.subject.replace(/\n/g, ', ')}`
    }
    if (i >= 1) {
      // CAs strictly between this one and the leaf (self-issued ones are not counted; ours are none).
      const below = path.slice(1, i).filter((p) => p.subject !== p.issuer).length
      if (c.pathLength !== undefined && below > c.pathLength) {
        return `pathLenConstraint ${c.pathLength} of ${cert.subject.replace(/\n/g, ', ')} is exceeded`
      }
    }
  }
  return undefined
}
