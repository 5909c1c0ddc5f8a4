// The admin console (issue 17 item 2, src/console/) on the API listener at /console: its services
// built from the node's parts. The API's bearer check lets /console through (servers.ts publicPaths):
// the console authenticates its own callers with a session opened by an API key.
import { readFileSync } from 'node:fs'
import type { FastifyInstance } from 'fastify'
import { consolePlugin, CONSOLE_PATH } from '../console/plugin.js'
import { Sessions } from '../console/session.js'
import type { ConsoleDeps } from '../console/deps.js'
import { apiKeyLookup } from '../api/auth.js'
import { ConsoleStore } from '../storage/console.js'
import { ConsoleAudit } from '../services/console/audit.js'
import { MailSearchService } from '../services/console/mail-search.js'
import { DeliveryAttempts } from '../services/console/delivery-attempts.js'
import { certificateExpiries } from '../services/console/certificates.js'
import { parsePemChain } from '../pki/cert.js'
import { TrustAnchors } from '../pki/validate.js'
import { verifyTimeStampToken } from '../tsa/index.js'
import type { Base } from './base.js'
import type { ServerParts } from './servers.js'
import type { ApiDeps } from '../api/server.js'

export { CONSOLE_PATH }

export async function wireConsole(base: Base, api: FastifyInstance, p: ServerParts, parts: ApiDeps): Promise<void> {
  const { config, clock, log } = base
  const store = new ConsoleStore(p.db)
  const deps: ConsoleDeps = {
    clock,
    log: log.child({ area: 'console' }),
    lookupKey: apiKeyLookup(parts.keys, (sha) => p.hosted.apiKey(sha)),
    sessions: new Sessions(p.db),
    secureCookies: config.ecms.publicUrl?.startsWith('https:') ?? false,
    health: parts.health,
    directoryStatus: () => {
      const doc = p.currentDirectory().document()
      return { serial: String(doc.serial), nextUpdate: doc.nextUpdate, source: p.directorySource.status() }
    },
    crlStatus: () => p.crlSources.status(),
    certificates: (agencies, now) => certificateExpiries({ hosted: p.hosted, tlsCert: p.tls.cert }, agencies, now),
    mailbox: parts.mailbox,
    search: new MailSearchService(store),
    registers: p.registers,
    peers: parts.deliveryOps.peers,
    requeue: parts.deliveryOps.requeue,
    cancel: { clock, log: log.child({ area: 'delivery' }), db: p.db, outbox: p.outbox, events: p.events.sink },
    evidence: parts.evidence,
    // The node's own check (`saraban-node verify-evidence`) against the node's configured anchors.
    verifyEvidence: {
      anchors: new TrustAnchors(config.trust.anchors.flatMap((f) => parsePemChain(readFileSync(f, 'utf8')))),
      profiles: p.profiles,
      verifyTimeStampToken,
    },
    events: p.events,
    audit: new ConsoleAudit({ db: p.db, store, clock }),
    attempts: new DeliveryAttempts(p.outbox),
    statistics: parts.statistics,
  }
  await api.register(consolePlugin, { deps })
}
