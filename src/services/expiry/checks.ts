// Warnings before things break (issue 17 item 4), as a table of checks in the order they matter:
// a certificate of the node's that its CA revoked, one that expired, one that nears its notAfter,
// then the trust documents (directory, CRLs) that near their nextUpdate with no fresher copy fetched.
// Each check reads one snapshot (snapshot.ts) and returns findings; a finding that carries an alert
// raises its event once per key (a threshold crossed, a document serial, a revocation), never per tick.
import type { X509Certificate } from 'node:crypto'
import { fingerprint, notAfter } from '../../pki/cert.js'
import type { EventType } from '../../domain/events.js'
import type { SourceStatus } from '../sources/signed-source.js'
import type { OwnCertificate } from './inventory.js'

const DAY_MS = 86_400_000
const HOUR_MS = 3_600_000

export interface ExpirySettings {
  /** Thresholds in days, largest first (config expiry.certificateDays). */
  readonly certificateDays: readonly number[]
  readonly trustDocumentHours: number
}

/** A certificate as its path validation at `now` judged it. */
export interface Judged {
  readonly cert: OwnCertificate
  /** The path leaf..anchor when it validated. */
  readonly path?: readonly X509Certificate[] | undefined
  /** The coded refusal of the validation (ERR_CERT_REVOKED, ERR_CERT_EXPIRED, …). */
  readonly problem?: { readonly code: string; readonly reason: string } | undefined
}

export interface Snapshot {
  readonly now: number
  readonly certs: readonly Judged[]
  readonly directory?: SourceStatus | undefined
  readonly crls: readonly SourceStatus[]
  /** Hosted agencies: told about the node's own certificates and trust documents. */
  readonly agencies: readonly string[]
  readonly settings: ExpirySettings
}

export interface Alert {
  /** Raised once per key (storage/expiry-alerts.ts). */
  readonly key: string
  readonly type: EventType
  readonly agencies: readonly string[]
  readonly data: Readonly<Record<string, unknown>>
  /** How loudly the node logs it the first time: a revoked certificate in use is fatal to its work. */
  readonly level: 'fatal' | 'error' | 'warn'
}

export interface Finding {
  readonly check: string
  readonly status: 'degraded' | 'failing'
  readonly detail: string
  readonly alert?: Alert
  /** A hosted agency's signing certificate in use that is revoked: it signs nothing (guards in own-signer.ts). */
  readonly revokedSigner?: string
}

export type Check = (s: Snapshot) => Finding[]

const ROLE_TEXT: Record<OwnCertificate['role'], string> = {
  tls: 'TLS certificate (server and client)', signing: 'signing certificate', encryption: 'encryption certificate', directory: 'directory signer certificate', ca: 'CA certificate',
}

export function describe(c: OwnCertificate): string {
  const leaf = c.chain[0]!
  return `the ${ROLE_TEXT[c.role]}${c.agency !== undefined ? ` of ${c.agency}` : ''} (serial ${leaf.serialNumber.toLowerCase()}, ${leaf.subject.split('\n').find((l) => l.startsWith('CN=')) ?? leaf.subject.split('\n')[0]})`
}

function facts(c: OwnCertificate): Record<string, unknown> {
  const leaf = c.chain[0]!
  return { role: c.role, ...(c.agency !== undefined ? { agency: c.agency } : {}), serial: leaf.serialNumber.toLowerCase(), fingerprint: fingerprint(leaf), notAfter: notAfter(leaf).toISOString() }
}

const told = (s: Snapshot, c: OwnCertificate) => (c.agency !== undefined ? [c.agency] : s.agencies)

/** What an operator does about a revoked certificate, by role (issue 17 items 4 and 5). */
const REVOKED_ADVICE: Record<OwnCertificate['role'], (c: OwnCertificate) => string> = {
  signing: (c) => `this node signs nothing with it (API sends answer ERR_SIGNING_CERT_REVOKED) and refuses letters to ${c.agency} with ERR_RECEIVER_CERT_REVOKED, which peers retry, until a new signing certificate is in use: \`saraban-node renew\` makes the key and request; load the new certificate beside the old one and have the directory list it`,
  tls: () => 'peers refuse this node\'s connections: make a new key and request with `saraban-node renew`, install the new TLS certificate and restart',
  encryption: (c) => `senders refuse to seal letters to ${c.agency} with it: \`saraban-node renew\` makes the key and request; load the new certificate beside the old one and have the directory list it`,
  directory: () => 'the directory it signed cannot be refreshed: ask the directory\'s registrar to sign with a new certificate',
  ca: () => 'every certificate it issued is refused: ask the federation\'s CA',
}

export const checks: ReadonlyArray<readonly [name: string, check: Check]> = [
  ['certificate-revoked', (s) => s.certs.filter((j) => j.problem?.code === 'ERR_CERT_REVOKED').map((j) => {
    const c = j.cert
    const used = c.inUse
    return {
      check: 'certificate-revoked',
      status: used ? 'failing' : 'degraded',
      detail: used
        ? `${describe(c)} is revoked (${j.problem!.reason}): ${REVOKED_ADVICE[c.role](c)}`
        : `${describe(c)} is revoked (${j.problem!.reason}); it is not in use any more: remove it from the node's configuration`,
      alert: { key: `revoked:${fingerprint(c.chain[0]!)}`, type: 'certificate.revoked', agencies: told(s, c), data: { ...facts(c), inUse: used, reason: j.problem!.reason }, level: used ? 'fatal' : 'warn' },
      ...(used && c.role === 'signing' && c.agency !== undefined ? { revokedSigner: c.agency } : {}),
    } satisfies Finding
  })],
  ['certificate-expired', (s) => s.certs.filter((j) => j.cert.inUse && (j.problem?.code === 'ERR_CERT_EXPIRED' || notAfter(j.cert.chain[0]!).getTime() <= s.now)).map((j) => ({
    check: 'certificate-expired',
    status: 'failing',
    detail: `${describe(j.cert)} expired at ${notAfter(j.cert.chain[0]!).toISOString()}: peers refuse what it signs or secures; \`saraban-node renew\` makes a new key and request`,
  } satisfies Finding))],
  ['certificate-expiring', (s) => {
    const out: Finding[] = []
    for (const j of s.certs) {
      if (!j.cert.inUse || j.problem?.code === 'ERR_CERT_REVOKED') continue
      const left = notAfter(j.cert.chain[0]!).getTime() - s.now
      if (left <= 0) continue
      const days = left / DAY_MS
      // The tightest threshold crossed (thresholds are sorted largest first).
      const threshold = [...s.settings.certificateDays].reverse().find((t) => days <= t)
      if (threshold === undefined) continue
      const whole = Math.floor(days)
      out.push({
        check: 'certificate-expiring',
        status: 'degraded',
        detail: `${describe(j.cert)} expires at ${notAfter(j.cert.chain[0]!).toISOString()}, in ${whole} day(s) (warning at ${threshold} days): \`saraban-node renew --days ${threshold}\` makes a new key and request to send to the CA`,
        alert: { key: `expiring:${fingerprint(j.cert.chain[0]!)}:${threshold}`, type: 'certificate.expiring', agencies: told(s, j.cert), data: { ...facts(j.cert), daysLeft: whole, threshold }, level: 'warn' },
      })
    }
    return out
  }],
  ['directory-next-update', (s) => (s.directory ? nearing(s, 'directory', s.directory) : [])],
  ['crl-next-update', (s) => s.crls.flatMap((c) => nearing(s, 'crl', c))],
]

/** A trust document in force (state fresh: grace and stale are health.ts's) whose nextUpdate is near. */
function nearing(s: Snapshot, kind: 'directory' | 'crl', d: SourceStatus): Finding[] {
  if (d.state !== 'fresh') return []
  const left = Date.parse(d.nextUpdate) - s.now
  if (!(left <= s.settings.trustDocumentHours * HOUR_MS)) return []
  const what = kind === 'directory' ? `the directory (serial ${d.serial})` : `the CRL from ${d.location} (number ${d.serial})`
  const failed = d.lastError ? ` The last refresh failed (${d.lastError.code}): ${d.lastError.reason}` : ''
  return [{
    check: `${kind}-next-update`,
    status: 'degraded',
    detail: `${what} reaches its nextUpdate at ${d.nextUpdate}, in ${Math.max(0, Math.round(left / HOUR_MS))} h, and no fresher copy was fetched: ${kind === 'directory' ? 'ask the registrar to publish one' : 'ask its CA to publish one'}.${failed}`.slice(0, 1000),
    alert: { key: `${kind}:${d.location}:${d.serial}`, type: 'trust.expiring', agencies: s.agencies, data: { document: kind, location: d.location, serial: d.serial, nextUpdate: d.nextUpdate }, level: 'warn' },
  }]
}
