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
    storage: { ...c.storage },
    log: { ...c.log },
    registers: { books: c.registers.books.map((b) => ({ ...b })) },
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
  }
}
