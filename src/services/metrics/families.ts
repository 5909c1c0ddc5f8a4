// The metric families of GET /metrics (issue 17 item 1), as one table: Prometheus names with their unit
// (`_seconds`, `_total`), and bounded labels only: `peer` is an agency id of the directory, `profile` an
// envelope profile id (jose-v1, cms-v1), `kind` letter | notice, `code` an error code of PROTOCOL.md §9.
// Never a letter or message id.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'

/** Sealed → receipt verified, seconds: from a second to days of patience (PROTOCOL.md §7.2). */
const LATENCY_BUCKETS = [0.25, 1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 86_400, 3 * 86_400]
const ATTEMPT_BUCKETS = [1, 2, 3, 5, 8, 13, 21, 50]

export function families(registry: Registry) {
  const registers = [registry]
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) => new Counter<L>({ name, help, labelNames, registers })
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[]) => new Gauge<L>({ name, help, labelNames, registers })
  const traffic = ['peer', 'profile', 'kind'] as const
  return {
    // --- traffic (counted as committed; services/metrics/traffic.ts)
    sent: counter('saraban_messages_sent_total', 'Messages (letters and notices) sealed and queued for a peer agency.', traffic),
    delivered: counter('saraban_messages_delivered_total', 'Messages whose receipt from the peer agency was verified (PROTOCOL.md §7.3).', traffic),
    failed: counter('saraban_messages_failed_total', 'Messages that failed for good, by error code (PROTOCOL.md §7.2, §9).', [...traffic, 'code'] as const),
    received: counter('saraban_messages_received_total', 'Messages (letters and notices) received from a peer agency and receipted.', traffic),
    latency: new Histogram<'peer' | 'profile' | 'kind'>({ name: 'saraban_delivery_latency_seconds', help: 'Time from sealing to the verified receipt.', labelNames: traffic, buckets: LATENCY_BUCKETS, registers }),
    attempts: new Histogram<'peer' | 'profile' | 'kind'>({ name: 'saraban_delivery_attempts', help: 'Attempts a delivered message took.', labelNames: traffic, buckets: ATTEMPT_BUCKETS, registers }),
    // --- the federation listener (services/metrics/federation.ts)
    refusals: counter('saraban_receive_refusals_total', 'Requests the federation listener refused, by error code (PROTOCOL.md §9).', ['code'] as const),
    tlsFailures: counter('saraban_tls_handshake_failures_total', 'TLS handshakes of the federation listener that failed or presented no trusted client certificate.', ['reason'] as const),
    // --- state, computed on collect (services/metrics/state.ts)
    queueDepth: gauge('saraban_queue_depth', 'Messages not yet delivered to a peer agency (queued or in flight).', ['peer'] as const),
    queueOldest: gauge('saraban_queue_oldest_age_seconds', 'Age of the oldest message not yet delivered to a peer agency.', ['peer'] as const),
    directoryAge: gauge('saraban_directory_age_seconds', 'Time since the held directory was issued (PROTOCOL.md §14).', []),
    directoryNextUpdate: gauge('saraban_directory_next_update_seconds', 'Time until the held directory\'s nextUpdate (negative: past it).', []),
    directoryState: gauge('saraban_directory_state', 'The held directory\'s freshness: 1 for the current state.', ['state'] as const),
    crlAge: gauge('saraban_crl_age_seconds', 'Time since the last successful fetch of each CRL source (PROTOCOL.md §15).', ['source'] as const),
    crlNextUpdate: gauge('saraban_crl_next_update_seconds', 'Time until each held CRL\'s nextUpdate (negative: past it).', ['source'] as const),
    crlState: gauge('saraban_crl_state', 'Each CRL source\'s freshness: 1 for the current state.', ['source', 'state'] as const),
    tsaPending: gauge('saraban_tsa_pending', 'Signatures waiting for an RFC 3161 time-stamp (PROTOCOL.md §13).', []),
    tsaOldest: gauge('saraban_tsa_oldest_pending_seconds', 'Age of the oldest signature waiting for a time-stamp.', []),
    tsaUp: gauge('saraban_tsa_up', '1 when the time-stamping authority answers or none is configured, 0 while it fails.', []),
    webhooks: gauge('saraban_webhook_deliveries', 'Webhook deliveries kept, by state (README "Notifications").', ['state'] as const),
    webhookFailing: gauge('saraban_webhook_failing_endpoints', 'Webhook endpoints whose last attempt failed.', []),
    sseClients: gauge('saraban_sse_clients', 'Event streams (server-sent events) open now.', []),
    certExpiry: gauge('saraban_certificate_expiry_seconds', 'Time until a certificate the node uses expires (negative: expired), by role: tls, signing, encryption, directory-signer, ca.', ['role', 'agency'] as const),
  }
}

export type Families = ReturnType<typeof families>
