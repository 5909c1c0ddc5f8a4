// The trust that changes while the node runs: CRL sources and the signed directory (PROTOCOL.md §14,
// §15), both fetched, verified, kept and refreshed; their history is written for evidence.
import type { Directory } from '../pki/directory.js'
import { DirectorySource } from '../services/sources/directory-source.js'
import { CrlSources } from '../services/sources/crl-source.js'
import type { Base } from './base.js'
import type { Anchors } from './anchors.js'
import type { Storage } from './storage.js'

/** Largest signed directory a node fetches (100,000 agencies with a few certificates each fit). */
const MAX_DIRECTORY_BYTES = 256 * 1024 * 1024

export interface Trust {
  /** the CRL sources behind anchors' revocation check (PROTOCOL.md §15) */
  readonly crlSources: CrlSources
  /** The refreshing signed directory (PROTOCOL.md §14): status, refresh(), jws(). */
  readonly directorySource: DirectorySource
  /** The directory in force now; read through this so that a refresh is one swap. */
  readonly currentDirectory: () => Directory
}

export async function wireTrust(
  { config, clock, log, closers }: Base,
  { anchorCerts, revocation, anchors }: Anchors,
  { db, trustHistory }: Pick<Storage, 'db' | 'trustHistory'>,
): Promise<Trust> {
  // The CRLs come first: the directory signer's path is checked for revocation too (PROTOCOL.md §15.1).
  const crlSources = await CrlSources.open({
    locations: config.trust.crls, dataDir: config.dataDir, crls: revocation.crls, issuers: () => anchors.cas(), mode: config.trust.revocation,
    settings: { refreshMs: config.trust.refreshSeconds * 1000, graceMs: config.trust.graceSeconds * 1000 },
    fetch: { timeoutMs: config.trust.fetchTimeoutSeconds * 1000, maxBytes: 0, extraCa: anchorCerts.map((c) => c.toString()) },
    clock, log: log.child({ area: 'revocation' }), history: { db, store: trustHistory },
  })
  closers.push(() => crlSources.close())
  // The directory is fetched, verified, kept and refreshed by its source (PROTOCOL.md §14); everything
  // reads it through currentDirectory(), so that a refresh is one swap.
  const directorySource = await DirectorySource.open({
    location: config.trust.directory,
    dataDir: config.dataDir,
    anchors,
    settings: { refreshMs: config.trust.refreshSeconds * 1000, graceMs: config.trust.graceSeconds * 1000 },
    fetch: { timeoutMs: config.trust.fetchTimeoutSeconds * 1000, maxBytes: MAX_DIRECTORY_BYTES, extraCa: anchorCerts.map((c) => c.toString()) },
    clock,
    log: log.child({ area: 'trust' }),
    history: { db, store: trustHistory },
  })
  closers.push(() => directorySource.close())
  const currentDirectory = () => directorySource.directory()
  // Directory entries carry leaf certificates; the issuing CAs come with the directory (PROTOCOL.md §1.4).
  anchors.addIntermediates(currentDirectory().intermediates())
  directorySource.onUpdate((d) => anchors.addIntermediates(d.intermediates()))
  await crlSources.issuersKnown()
  directorySource.onUpdate(() => void crlSources.issuersKnown())
  return { crlSources, directorySource, currentDirectory }
}
