// What a reload changed among the webhook endpoints (README "Notifications"). An endpoint is its name:
// gone from the configuration, it is removed (what waits for it is abandoned); still there with another
// URL or secret, it changed (what waits for it goes to the new target at once).
import type { WebhookEndpoint } from './webhooks.js'

export interface EndpointTarget {
  readonly url: string
  /** HMAC key. Secret: never logged. */
  readonly key: Buffer
}

export function targets(endpoints: readonly WebhookEndpoint[]): ReadonlyMap<string, EndpointTarget> {
  return new Map(endpoints.map((e) => [e.name, { url: e.url, key: e.key }]))
}

export function endpointChanges(was: ReadonlyMap<string, EndpointTarget>, now: ReadonlyMap<string, EndpointTarget>): { removed: string[]; changed: string[] } {
  const removed = [...was.keys()].filter((name) => !now.has(name))
  const changed = [...now].filter(([name, e]) => {
    const w = was.get(name)
    return w !== undefined && (w.url !== e.url || !w.key.equals(e.key))
  }).map(([name]) => name)
  return { removed, changed }
}
