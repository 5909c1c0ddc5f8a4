// Where a webhook may be sent (issue 13 §1): not to this machine, its link or a private network,
// unless the operator allows it (notifications.webhookDelivery.allowPrivateTargets, or allowedTargets
// as CIDRs). A hosted-agency file names the URL, so without this rule it could aim the node at
// 127.0.0.1 and read the answer back through /api/v1/webhooks/deliveries. The host name is resolved
// at each connection and the address checked is the one connected to (no DNS rebinding).
import { BlockList, isIP } from 'node:net'
import { cidrList } from '../../config/cidr.js'
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions, type LookupOptions } from 'node:dns'

export interface TargetRules {
  readonly allowPrivateTargets: boolean
  /** CIDRs (e.g. "10.20.0.0/16", "fd00::/8") allowed although private. */
  readonly allowedTargets: readonly string[]
}

// Loopback, "this network", RFC 1918, CGNAT (RFC 6598), link-local, multicast and reserved; IPv6
// loopback, unspecified, ULA (RFC 4193), link-local, multicast; every IPv4-mapped or NAT64-free
// IPv4-compatible form (::ffff:0:0/96) is judged as refused: a target is named in its plain form.
const PRIVATE = new BlockList()
for (const [net, bits] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4]] as const) PRIVATE.addSubnet(net, bits, 'ipv4')
for (const [net, bits] of [['::', 128], ['::1', 128], ['::ffff:0:0', 96], ['64:ff9b::', 96], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8]] as const) PRIVATE.addSubnet(net, bits, 'ipv6')

export class TargetPolicy {
  readonly #allowAll: boolean
  readonly #allowed: BlockList

  constructor(rules: TargetRules) {
    this.#allowAll = rules.allowPrivateTargets
    this.#allowed = cidrList(rules.allowedTargets)
  }

  /** Why `address` (an IP) may not be a webhook target, or undefined when it may. */
  refusal(address: string): string | undefined {
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4'
    if (!PRIVATE.check(address, family) || this.#allowAll || this.#allowed.check(address, family)) return undefined
    return `the target address ${address} is loopback, link-local or private: refused (allow it with notifications.webhookDelivery.allowPrivateTargets or allowedTargets)`
  }

  /** Checks a URL whose host is an IP literal (no lookup happens for those); host names are checked by lookup(). */
  refusalOfUrl(url: string): string | undefined {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '')
    return isIP(host) === 0 ? undefined : this.refusal(host)
  }

  /** A `lookup` for net/tls connect: resolves, drops refused addresses, connects to a checked one. */
  readonly lookup = (hostname: string, options: LookupOptions, callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void): void => {
    dnsLookup(hostname, { ...options, all: true } as LookupAllOptions, (err, addresses) => {
      if (err) return callback(err, [])
      const ok = addresses.filter((a) => this.refusal(a.address) === undefined)
      if (ok.length === 0) {
        const e: NodeJS.ErrnoException = new Error(`${hostname}: ${this.refusal(addresses[0]?.address ?? '') ?? 'no address'}`)
        e.code = 'ERR_WEBHOOK_TARGET_REFUSED'
        return callback(e, [])
      }
      if (options.all) return callback(null, ok)
      return callback(null, ok[0]!.address, ok[0]!.family)
    })
  }
}
