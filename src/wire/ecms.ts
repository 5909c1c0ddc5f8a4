// The e-CMS gateway on the API listener (README "e-CMS gateway"): src/api does not know it; this
// wiring mounts the plugin (src/gateways/ecms/plugin.ts) with its services. No clients: not mounted.
import type { FastifyInstance } from 'fastify'
import { cidrList } from '../config/cidr.js'
import type { EcmsDeps } from '../gateways/ecms/dispatch.js'
import { EcmsOutboundStore } from '../storage/ecms-outbound.js'
import type { SendDeps } from '../services/send.js'
import { letterOrigin, type LetterOrigin } from '../services/ecms/origin.js'
import type { NoticeStore } from '../storage/notices.js'
import type { Base } from './base.js'
import { wireEcmsQueue, type EcmsQueueParts } from './ecms-queue.js'
import type { Storage } from './storage.js'
import type { Agencies } from './agencies.js'
import type { Trust } from './trust.js'

export interface EcmsParts extends Pick<Storage, 'db' | 'outbox'>, Pick<Agencies, 'hosted'>, Pick<Trust, 'currentDirectory'> {
  readonly notices: NoticeStore
  readonly send: SendDeps
  /** the receiving side (wire/ecms-queue.ts) */
  readonly queue: Omit<EcmsQueueParts, 'db' | 'hosted' | 'currentDirectory' | 'notices' | 'hasClient'>
}

/** The paths the API's bearer authentication leaves to the gateway (it decides who calls by configuration). */
export function ecmsPublicPaths({ config }: Base): string[] {
  return config.ecms.clients.length > 0 ? [config.ecms.pathPrefix] : []
}

export async function wireEcms(wiring: Base, api: FastifyInstance, p: EcmsParts): Promise<void> {
  const { config, clock, log } = wiring
  const { ecms } = config
  if (ecms.clients.length === 0) return
  // Loaded only when a client is configured: its XML, XPath and XML-DSig libraries are not small.
  const { ecmsGateway, ecmsPath } = await import('../gateways/ecms/plugin.js')
  const records = new EcmsOutboundStore(p.db)
  const base = ecms.publicUrl ?? `http://${config.api.host.includes(':') ? `[${config.api.host}]` : config.api.host}:${config.api.port}`
  const deps: EcmsDeps = {
    clock,
    log,
    directory: p.currentDirectory,
    hosted: p.hosted,
    gatewayUrl: (agency) => `${base}${ecmsPath(ecms.pathPrefix, agency)}`,
    send: { send: p.send, records, uploadLimits: config.limits },
    status: { records, outbox: p.outbox, notices: p.notices },
    queue: wireEcmsQueue(wiring, { ...p.queue, db: p.db, hosted: p.hosted, currentDirectory: p.currentDirectory, notices: p.notices, hasClient: (agency) => ecms.clients.some((c) => c.agency === agency) }),
  }
  await api.register(ecmsGateway, {
    deps,
    pathPrefix: ecms.pathPrefix,
    maxBodyBytes: ecms.maxBodyBytes,
    clients: ecms.clients.map((c) => ({ agency: c.agency, allowFrom: cidrList(c.allowFrom) })),
  })
}

/** GET /api/v1/letters/{id} shows a gateway letter's origin (README "e-CMS gateway"), also after the gateway is switched off. */
export function ecmsLetterOrigin(db: Storage['db']): (letterId: string) => LetterOrigin | undefined {
  const records = new EcmsOutboundStore(db)
  return (letterId) => letterOrigin(records, letterId)
}
