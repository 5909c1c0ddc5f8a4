// `saraban-node doctor` (issue 17 item 7): the checks of a configuration before start, in the order of
// the issue, so the list reads top to bottom like receive/steps.ts. Each check returns its findings;
// a check never throws for what it finds (an unexpected error becomes a failure of that check).
import { checkFiles } from './files.js'
import { checkKeys } from './keys.js'
import { checkChains } from './chains.js'
import { checkDirectory } from './directory.js'
import { checkPorts } from './ports.js'
import { checkClock } from './clock.js'
import { checkDatabase } from './database.js'
import type { Check } from './types.js'

export const CHECKS: ReadonlyArray<readonly [name: string, check: Check]> = [
  ['files', checkFiles], // exist, readable by this user; private keys 0600
  ['keys', checkKeys], // each key opens and is its certificate's (PKCS#11: skipped if the token is away)
  ['chains', checkChains], // each chain validates to trust.anchors (RFC 5280, role rules)
  ['directory', checkDirectory], // lists each hosted agency with our certificates and endpoint (PROTOCOL.md §1.4)
  ['ports', checkPorts], // federation.port and api.port free, or this node already on them
  ['clock', checkClock], // agrees with the TSA within tsa.maxClockSkewSeconds (PROTOCOL.md §13)
  ['database', checkDatabase], // dataDir writable; schema at the latest migration
]
