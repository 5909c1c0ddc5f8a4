// Warnings before things break (issue 17 item 4): the expiry watch over the node's own certificates
// and trust documents, looked at now (before the node serves), on its timer, and whenever a CRL or the
// directory changes, so that a revoked certificate of the node's shows in /healthz at once.
import { readFileSync } from 'node:fs'
import { parsePemChain } from '../pki/cert.js'
import { ExpiryWatch } from '../services/expiry/index.js'
import type { Events } from '../services/events/index.js'
import type { Base } from './base.js'
import type { Anchors } from './anchors.js'
import type { Storage } from './storage.js'
import type { Trust } from './trust.js'
import type { Agencies } from './agencies.js'

export async function wireExpiry(
  { config, clock, log, closers }: Base,
  p: Pick<Anchors, 'anchors'> & Pick<Storage, 'db'> & Pick<Trust, 'crlSources' | 'directorySource' | 'currentDirectory'> & Pick<Agencies, 'hosted'> & { events: Events },
): Promise<ExpiryWatch> {
  const tlsChain = parsePemChain(readFileSync(config.tls.cert, 'utf8'))
  const watch = new ExpiryWatch({
    clock, log: log.child({ area: 'expiry' }), db: p.db, anchors: p.anchors, events: p.events.sink,
    inventory: { tlsChain: () => tlsChain, hosted: p.hosted, directory: p.currentDirectory, directoryJws: () => p.directorySource.jws() },
    directoryStatus: () => p.directorySource.status(), crlStatus: () => p.crlSources.status(),
    settings: config.expiry,
  })
  await watch.evaluate()
  p.crlSources.onAccepted(() => void watch.evaluate())
  p.directorySource.onUpdate(() => void watch.evaluate())
  watch.start()
  closers.push(() => watch.close())
  return watch
}
