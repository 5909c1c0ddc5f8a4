// Lookups over one verified directory document (PROTOCOL.md §1.4, §16), with fingerprint maps built
// once. Fingerprints are SHA-256 of the DER, lowercase hex (cert.ts). `agency` and the TLS lookups
// return suspended agencies too (callers report the status); the other lookups answer only for
// active agencies. Hosting nodes (§16): a `nodes` entry names a TLS identity that may speak for the
// agencies it lists; the constructor refuses a document whose nodes contradict its agencies.
import type { X509Certificate } from 'node:crypto'
import { SarabanError } from '../errors.js'
import { certFromBase64Der, fingerprintDer, notAfter, notBefore } from './cert.js'
import { AGENCY_ID } from '../domain/ids.js'
import type { DirectoryAgency, DirectoryDocument, DirectoryNode, DirectoryOfficer } from './directory.js'

/** An officer certificate's owner (PROTOCOL.md §19.1): the officer, its agency, and the role of the certificate. */
export interface OfficerCert {
  readonly agency: string
  readonly officer: DirectoryOfficer
  readonly role: 'officer-signing' | 'officer-encryption'
}

/** Who a TLS certificate speaks for (PROTOCOL.md §3.2, §16.2): one agency, or a hosting node's list. */
export interface TlsIdentity {
  readonly kind: 'agency' | 'node'
  /** The agency id, or the node id. */
  readonly id: string
  /** The agencies this TLS identity may send for. */
  readonly agencies: ReadonlySet<string>
}

const B64 = /^[A-Za-z0-9+/]+={0,2}$/

export class Directory {
  readonly #doc: DirectoryDocument
  readonly #byId = new Map<string, DirectoryAgency>()
  readonly #byTls = new Map<string, DirectoryAgency>()
  readonly #tlsIdentity = new Map<string, TlsIdentity>()
  readonly #nodes = new Map<string, DirectoryNode>()
  readonly #nodeOf = new Map<string, DirectoryNode>()
  readonly #originTls = new Map<string, Set<string>>()
  readonly #signing = new Map<string, Set<string>>()
  readonly #encryption = new Map<string, X509Certificate[]>() // newest notBefore first
  readonly #encryptionFps = new Map<string, Set<string>>()
  readonly #intermediates: X509Certificate[]
  readonly #officerByCert = new Map<string, OfficerCert>()

  constructor(doc: DirectoryDocument) {
    this.#doc = doc
    const bad = (detail: string) => new SarabanError('ERR_DIRECTORY_INVALID', detail)
    for (const a of doc.agencies) {
      if (this.#byId.has(a.id)) throw bad(`agency ${a.id} is listed twice`)
      this.#byId.set(a.id, a)
      for (const der of a.certificates.tls) {
        const fp = fingerprintDer(der)
        if (this.#byTls.has(fp)) throw bad(`TLS certificate ${fp} is listed for two agencies`)
        this.#byTls.set(fp, a)
        this.#tlsIdentity.set(fp, { kind: 'agency', id: a.id, agencies: new Set([a.id]) })
      }
      this.#signing.set(a.id, new Set(a.certificates.signing.map((d) => fingerprintDer(d))))
      const enc = a.certificates.encryption.map((der) => parseOr(der, () => bad(`an encryption certificate of ${a.id} cannot be parsed`)))
      this.#encryption.set(a.id, enc.sort((x, y) => notBefore(y).getTime() - notBefore(x).getTime()))
      this.#encryptionFps.set(a.id, new Set(a.certificates.encryption.map((d) => fingerprintDer(d))))
      for (const e of a.endpoints) this.#addOriginTls(e, a.certificates.tls)
      this.#addOfficers(a, bad)
    }
    for (const [i, n] of (doc.nodes ?? []).entries()) this.#addNode(checkNode(n, i, bad), bad)
    for (const a of doc.agencies) {
      // PROTOCOL.md §16.1: an agency's `node` names the node that lists it.
      if (a.node !== undefined && this.#nodeOf.get(a.id)?.id !== a.node) throw bad(`agency ${a.id} names node ${a.node}, which does not list it`)
    }
    this.#intermediates = (doc.intermediates ?? []).map((der) => parseOr(der, () => bad('an intermediate cannot be parsed')))
  }

  // PROTOCOL.md §1.4: officer ids are unique within the agency; a certificate speaks for one officer only.
  #addOfficers(a: DirectoryAgency, bad: (d: string) => Error): void {
    const ids = new Set<string>()
    for (const o of a.officers ?? []) {
      if (ids.has(o.id)) throw bad(`officer ${o.id} of ${a.id} is listed twice`)
      ids.add(o.id)
      for (const role of ['officer-signing', 'officer-encryption'] as const) {
        for (const der of o.certificates[role]) {
          const fp = fingerprintDer(der)
          if (this.#officerByCert.has(fp)) throw bad(`officer certificate ${fp} is listed twice`)
          this.#officerByCert.set(fp, { agency: a.id, officer: o, role })
        }
      }
    }
  }

  #addNode(n: DirectoryNode, bad: (d: string) => Error): void {
    if (this.#nodes.has(n.id)) throw bad(`node ${n.id} is listed twice`)
    if (this.#byId.has(n.id)) throw bad(`node ${n.id} has the id of an agency`)
    this.#nodes.set(n.id, n)
    for (const id of n.agencies) {
      if (!this.#byId.has(id)) throw bad(`node ${n.id} lists agency ${id}, which is not in the directory`)
      if (this.#nodeOf.has(id)) throw bad(`agency ${id} is listed by two nodes`)
      this.#nodeOf.set(id, n)
    }
    for (const der of n.certificates.tls) {
      const fp = fingerprintDer(der)
      if (this.#tlsIdentity.has(fp)) throw bad(`TLS certificate ${fp} of node ${n.id} is listed twice`)
      this.#tlsIdentity.set(fp, { kind: 'node', id: n.id, agencies: new Set(n.agencies) })
    }
    for (const e of n.endpoints) this.#addOriginTls(e, n.certificates.tls)
  }

  #addOriginTls(endpoint: string, tls: readonly string[]): void {
    let origin: string
    try {
      origin = new URL(endpoint).origin
    } catch {
      throw new SarabanError('ERR_DIRECTORY_INVALID', `endpoint ${endpoint} is not a URL`)
    }
    let set = this.#originTls.get(origin)
    if (!set) this.#originTls.set(origin, (set = new Set()))
    for (const der of tls) set.add(fingerprintDer(der))
  }

  /** The verified document this directory was built from. */
  document(): DirectoryDocument {
    return this.#doc
  }

  agency(id: string): DirectoryAgency | undefined {
    return this.#byId.get(id)
  }

  /** The agency whose own `tls` list holds this certificate (not a hosting node's). */
  agencyByTlsFingerprint(fp: string): DirectoryAgency | undefined {
    return this.#byTls.get(fp)
  }

  /** Who a TLS client certificate speaks for: an agency's own certificate, or a hosting node's (§16.2). */
  tlsIdentity(fp: string): TlsIdentity | undefined {
    return this.#tlsIdentity.get(fp)
  }

  /** TLS certificate fingerprints a server at this origin may present (PROTOCOL.md §3.1 pinning). */
  tlsFingerprintsAt(origin: string): ReadonlySet<string> {
    return this.#originTls.get(origin) ?? new Set()
  }

  node(id: string): DirectoryNode | undefined {
    return this.#nodes.get(id)
  }

  /** The hosting node that lists this agency, if any. */
  nodeOf(agencyId: string): DirectoryNode | undefined {
    return this.#nodeOf.get(agencyId)
  }

  isSigningCertOf(agencyId: string, fp: string): boolean {
    return this.#active(agencyId) !== undefined && (this.#signing.get(agencyId)?.has(fp) ?? false)
  }

  /** Whether the directory lists this certificate (by fingerprint) as an encryption certificate of an
   *  active agency: a node opens new envelopes only with such a certificate's key (§16.4). */
  isEncryptionCertOf(agencyId: string, fp: string): boolean {
    return this.#active(agencyId) !== undefined && (this.#encryptionFps.get(agencyId)?.has(fp) ?? false)
  }

  /** The encryption certificate with the newest notBefore among those valid at `at` (rollover:
   *  PROTOCOL.md §1.4): one published ahead of its notBefore does not block sending meanwhile. */
  encryptionCertFor(agencyId: string, at: Date = new Date()): X509Certificate | undefined {
    if (!this.#active(agencyId)) return undefined
    return this.#encryption.get(agencyId)?.find((c) => notBefore(c) <= at && at <= notAfter(c))
  }

  endpointFor(agencyId: string): string | undefined {
    const a = this.#active(agencyId)
    return a?.endpoints[0] ?? (a ? this.#nodeOf.get(a.id)?.endpoints[0] : undefined)
  }

  /** An officer of an active agency by id (PROTOCOL.md §19.1). */
  officer(agencyId: string, officerId: string): DirectoryOfficer | undefined {
    return this.#active(agencyId)?.officers?.find((o) => o.id === officerId)
  }

  /** Whose officer certificate this is (SHA-256 of the DER), if its agency is active. */
  officerByCertFingerprint(fp: string): OfficerCert | undefined {
    const o = this.#officerByCert.get(fp)
    return o && this.#active(o.agency) ? o : undefined
  }

  /** PROTOCOL.md §19.8: whether the directory lets TOP_SECRET travel electronically from → to. */
  topSecretElectronic(from: string, to: string): boolean {
    return (this.#doc.classifiedPolicy?.topSecretElectronic ?? []).some((p) => p.from === from && p.to === to)
  }

  all(): DirectoryAgency[] {
    return [...this.#doc.agencies]
  }

  /** CA certificates for TrustAnchors#addIntermediates. */
  intermediates(): X509Certificate[] {
    return [...this.#intermediates]
  }

  #active(id: string): DirectoryAgency | undefined {
    const a = this.#byId.get(id)
    return a?.status === 'active' ? a : undefined
  }
}

/** Structural check of one `nodes` entry (schemas/protocol/directory.json is normative). */
function checkNode(v: unknown, i: number, bad: (d: string) => Error): DirectoryNode {
  const n = v as Partial<DirectoryNode> | null
  const at = `nodes[${i}]`
  const strings = (x: unknown, test: (s: string) => boolean) => Array.isArray(x) && x.every((s) => typeof s === 'string' && test(s))
  if (typeof n !== 'object' || n === null) throw bad(`${at} is not an object`)
  if (typeof n.id !== 'string' || n.id.length < 2 || n.id.length > 64 || !AGENCY_ID.test(n.id)) throw bad(`${at}.id is not a node id`)
  if (!strings(n.endpoints, (s) => s.startsWith('https://'))) throw bad(`${at}.endpoints is not a list of https URLs`)
  if (typeof n.certificates !== 'object' || n.certificates === null || !strings(n.certificates.tls, (s) => B64.test(s))) throw bad(`${at}.certificates.tls is not a list of base64 certificates`)
  if (!strings(n.agencies, (s) => AGENCY_ID.test(s)) || new Set(n.agencies).size !== n.agencies!.length) throw bad(`${at}.agencies is not a list of distinct agency ids`)
  return n as DirectoryNode
}

function parseOr(der: string, err: () => Error): X509Certificate {
  try {
    return certFromBase64Der(der)
  } catch {
    throw err()
  }
}
