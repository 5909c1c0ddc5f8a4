// PROTOCOL.md §16.3: agencies from hosting.agenciesDir come and go without a restart. Started at
// construction: start() scans the folder once synchronously, so its agencies are hosted from here on.
import type { Directory } from '../pki/directory.js'
import type { HostedAgencies } from '../services/hosting/agencies.js'
import { AgenciesDir } from '../services/hosting/agencies-dir.js'
import type { Events } from '../services/events/index.js'
import type { ApiKeyTable } from '../services/api-keys.js'
import type { Base } from './base.js'

export function wireAgenciesDir(
  { config, log, closers }: Base,
  { hosted, events, currentDirectory, apiKeys, onChange }: { hosted: HostedAgencies; events: Events; currentDirectory: () => Directory; apiKeys: ApiKeyTable; onChange?: () => void },
): AgenciesDir | undefined {
  const agenciesDir = config.hosting.agenciesDir === undefined ? undefined : new AgenciesDir({
    dir: config.hosting.agenciesDir,
    hosted,
    log: log.child({ area: 'hosting' }),
    env: process.env,
    rescanSeconds: config.hosting.rescanSeconds,
    staticIds: new Set(config.agencies.map((a) => a.id)),
    staticKeyHashes: { has: (sha256) => apiKeys.get(sha256) !== undefined },
    // API keys and webhook endpoints come and go with the files: open streams and pending deliveries follow.
    // Issue 17 item 4: and the expiry watch looks at the agencies' certificates again.
    onChange: () => { void events.agenciesChanged(); onChange?.() },
  })
  if (agenciesDir) {
    agenciesDir.start()
    closers.push(() => agenciesDir.close())
  }
  // After the folder's first scan, so that its agencies are checked too.
  const directory = currentDirectory()
  for (const id of hosted.ids()) {
    if (!directory.agency(id)) log.warn({ event: 'config.agency-not-in-directory', agency: id }, 'a hosted agency is not in the directory: peers will refuse its letters')
  }
  return agenciesDir
}
