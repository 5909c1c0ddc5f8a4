// Check "clock" (issue 17 item 7): with a TSA configured, this machine's clock agrees with the time
// in a fresh time-stamp token (RFC 3161 genTime) within tsa.maxClockSkewSeconds. Without a TSA:
// nothing to compare with. A TSA that cannot be reached is a warning: the clock is not checked.
import { randomBytes } from 'node:crypto'
import type { Config } from '../../config/index.js'
import { TsaClient } from '../../tsa/client.js'
import { readTimeStampToken } from '../../tsa/index.js'
import { fail, ok, warn, type Finding } from './types.js'

export async function checkClock({ config, now }: { config: Config; now: () => Date }): Promise<Finding[]> {
  const url = config.tsa.url
  if (url === undefined) return [ok('no TSA configured (tsa.url): the clock is not compared')]
  const bound = config.tsa.maxClockSkewSeconds
  const client = new TsaClient({ url, timeoutMs: config.tsa.timeoutMs, caFile: config.tsa.caFile })
  try {
    const before = now().getTime()
    const { token } = await client.stamp(randomBytes(32))
    const after = now().getTime()
    const genTime = readTimeStampToken(token).genTime.getTime()
    // genTime lies within [before, after] when both clocks agree (up to its precision, often 1 s).
    const skewMs = genTime < before ? genTime - before : genTime > after ? genTime - after : 0
    const skew = Math.round(Math.abs(skewMs) / 1000)
    if (Math.abs(skewMs) > bound * 1000) {
      return [fail(
        `this machine's clock is ${skew} s ${skewMs < 0 ? 'ahead of' : 'behind'} the TSA's (tsa.maxClockSkewSeconds ${bound})`,
        'Synchronise the clock with NTP (e.g. `timedatectl set-ntp true`, or chrony).',
      )]
    }
    return [ok(`the clock agrees with the TSA within ${Math.max(skew, 1)} s (bound ${bound} s)`)]
  } catch (err) {
    return [warn(`the TSA ${url} (tsa.url) cannot be asked for a time-stamp: ${(err as Error).message}; the clock is not compared`, 'Check tsa.url and that the TSA is reachable from this machine.')]
  } finally {
    await client.close()
  }
}
