// Our side of mutual TLS: one identity for both directions, and the client that delivers to peers.
import { readFileSync } from 'node:fs'
import type { X509Certificate } from 'node:crypto'
import type { Directory } from '../pki/directory.js'
import { PeerClient, type PeerClientOptions } from '../federation/peer-client.js'
import type { Base } from './base.js'

export interface Peers {
  /** key, certificate and CAs, shared by the federation server and the peer client */
  readonly tls: PeerClientOptions['tls']
  readonly peers: PeerClient
}

export function wirePeers(
  { config, closers }: Base,
  { anchorCerts, currentDirectory }: { anchorCerts: X509Certificate[]; currentDirectory: () => Directory },
): Peers {
  // One TLS identity for both directions (server and client of mutual TLS).
  const tls = {
    key: readFileSync(config.tls.key),
    cert: readFileSync(config.tls.cert),
    ca: anchorCerts.map((c) => c.toString()),
    ...(config.tls.passphrase ? { passphrase: config.tls.passphrase } : {}),
  }
  const peers = new PeerClient({
    tls,
    directory: currentDirectory,
    connectionsPerPeer: config.delivery.concurrencyPerPeer,
    requestTimeoutMs: config.delivery.requestTimeoutMs,
  })
  closers.push(() => peers.close())
  return { tls, peers }
}
