// Which envelope profiles can be read by range (crypto/ranged.ts), as rows of a table (house style §2).
// A profile without a row (e.g. one added later) is read with its full open() instead.
import { CMS_V1 } from './cms/v1-profile.js'
import { openCmsV1Ranged } from './cms/v1-ranged.js'
import { V1 } from './jose/v1-header.js'
import { openV1Ranged, openV2Ranged } from './jose/v1-ranged.js'
import { V2 } from './jose/v2-envelope.js'
import type { RangedOpener } from './ranged.js'

const OPENERS: ReadonlyMap<string, RangedOpener> = new Map([
  [V1.id, openV1Ranged],
  [V2.id, openV2Ranged],
  [CMS_V1.id, openCmsV1Ranged],
])

export function rangedOpener(profileId: string): RangedOpener | undefined {
  return OPENERS.get(profileId)
}
