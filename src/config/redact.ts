// What of the config may be logged (house style §7, §10): everything but secrets. Private key
// paths, passphrases and API key digests become '[redacted]'.
import type { Config, KeyFiles, TokenKey } from './types.js'
import { isTokenKey, redactedTokenKey } from '../crypto/keys/token-config.js'

export const REDACTED = '[redacted]'

function keyFiles(k: KeyFiles): { key: string; cert: string; passphrase?: string } {
  return { key: REDACTED, cert: k.cert, ...(k.passphrase !== undefined ? { passphrase: REDACTED } : {}) }
}

/** A token key: module, slot/label and key label may be logged; the PIN never. */
function agencyKey(k: KeyFiles | TokenKey): Record<string, unknown> {
  return isTokenKey(k) ? redactedTokenKey(k, REDACTED) : keyFiles(k)
}

/** A plain, loggable copy of the config without secrets. */
export function redactedConfig(c: Config): Record<string, unknown> {
  return {
    file: c.file,
    embeddedDefault: c.embeddedDefault,
    dataDir: c.dataDir,
    tls: keyFiles(c.tls),
    trust: { ...c.trust, anchors: [...c.trust.anchors], crls: [...c.trust.crls] },
    agencies: c.agencies.map((a) => ({ id: a.id, signing: agencyKey(a.signing), encryption: agencyKey(a.encryption), ...(a.ownerCode !== undefined ? { ownerCode: a.ownerCode } : {}) })),
    hosting: { ...c.hosting },
    federation: { ...c.federation },
    api: { host: c.api.host, port: c.api.port, keys: c.api.keys.map((k) => ({ name: k.name, sha256: REDACTED, agencies: [...k.agencies] })) },
    delivery: { ...c.delivery },
    limits: { ...c.limits },
    storage: { ...c.storage, ...(c.storage.postgresql !== undefined ? { postgresql: { ...c.storage.postgresql, url: redactDatabaseUrl(c.storage.postgresql.url) } } : {}) },
    log: { ...c.log },
    registers: { books: c.registers.books.map((b) => ({ ...b })) },
    metrics: { openTo: [...c.metrics.openTo] },
    ecms: { ...c.ecms, clients: c.ecms.clients.map((e) => ({ agency: e.agency, allowFrom: [...e.allowFrom] })) },
    notifications: {
      ...c.notifications,
      webhookDelivery: { ...c.notifications.webhookDelivery },
      // a webhook URL may carry credentials (user info) or a token in its query: neither is logged
      webhooks: c.notifications.webhooks.map((w) => ({
        ...w,
        url: w.url.replace(/\/\/[^/@]*@/, `//${REDACTED}@`).replace(/\?.*$/, `?${REDACTED}`),
        ...(w.secret !== undefined ? { secret: REDACTED } : {}),
      })),
    },
    // a URL may carry credentials (user:password@): they are not logged
    tsa: { ...c.tsa, ...(c.tsa.url !== undefined ? { url: c.tsa.url.replace(/\/\/[^/@]*@/, `//${REDACTED}@`) } : {}) },
    backup: c.backup,
  }
}

/** A database URL as it may be logged: the password, if any, becomes '[redacted]'; user, host, database
 *  and options stay (they are what an operator needs to see which database a node uses). */
export function redactDatabaseUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.password !== '') u.password = REDACTED
    return u.toString()
  } catch {
    return REDACTED
  }
}

/** A URL as it may be shown or logged (issue 13 §1): without user info, query string and fragment,
 *  which may carry credentials or tokens (`https://u:p@host/path?t=1` → `https://host/path`). Anything
 *  that is not a URL (a file path) is returned as it is. */
export function redactUrl(location: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) return location
  try {
    const u = new URL(location)
    return `${u.protocol}//${u.host}${u.pathname}`
  } catch {
    return location.replace(/\/\/[^/@]*@/, '//').replace(/[?#].*$/, '')
  }
}

/** Every URL inside a free text (an error reason), redacted as by redactUrl. */
export function redactUrlsIn(text: string): string {
  return text.replace(/[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi, (m) => redactUrl(m))
}
