// CIDR lists in the configuration (notifications.webhookDelivery.allowedTargets), checked at load.
import { BlockList, isIP } from 'node:net'

/** The CIDR list as a BlockList; throws naming the first entry that is not a CIDR. */
export function cidrList(cidrs: readonly string[]): BlockList {
  const list = new BlockList()
  for (const c of cidrs) {
    const m = /^([^/]+)\/(\d{1,3})$/.exec(c)
    const family = m ? isIP(m[1]!) : 0
    const bits = m ? Number(m[2]) : -1
    if (!m || family === 0 || bits > (family === 4 ? 32 : 128)) throw new Error(`"${c}" is not a CIDR such as 10.0.0.0/8 or fd00::/8`)
    list.addSubnet(m[1]!, bits, family === 4 ? 'ipv4' : 'ipv6')
  }
  return list
}
