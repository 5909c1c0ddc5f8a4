// Which envelope profiles can be read by range (crypto/ranged.ts), as rows of a table (house style §2).
// A profile without a row (e.g. one added later) is read with its full open() instead.
import { CMS_V1 } from './cms/v1-profile.js'
import { cmsV1Ranged } from './cms/v1-ranged.js'
import { V1 } from './jose/v1-header.js'
import { joseV1Ranged, joseV2Ranged } from './jose/v1-ranged.js'
import { V2 } from './jose/v2-envelope.js'
import type { RangedOpener, RangedReader } from './ranged.js'
import { bufferSource } from '../byte-source.js'

const READERS: ReadonlyMap<string, RangedReader> = new Map([
  [V1.id, joseV1Ranged],
  [V2.id, joseV2Ranged],
  [CMS_V1.id, cmsV1Ranged],
])

/** The profile's ranged reader over any ByteSource (a stored envelope's chunk rows, issue 16 item 2). */
export function rangedReader(profileId: string): RangedReader | undefined {
  return READERS.get(profileId)
}

/** The same over an envelope in one Buffer. */
export function rangedOpener(profileId: string): RangedOpener | undefined {
  const r = READERS.get(profileId)
  return r && ((envelope, key) => r.open(r.locate(bufferSource(envelope)), key))
}
