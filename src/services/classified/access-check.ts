// Who may see a classified item through the API (PROTOCOL.md §19.5): a key with the classified scope
// that acts for the agency holding it. Anything else is answered exactly as an unknown id (404), so a
// key without the scope does not learn that classified items exist; the attempt is still recorded.
import { SarabanError } from '../../errors.js'
import type { ClassifiedItem } from '../../storage/classified.js'
import type { ClassifiedCaller, ClassifiedDeps } from './deps.js'
import type { AccessEvent } from './access-record.js'

export const CLASSIFIED_SCOPE = 'classified'

const notFound = (): SarabanError => new SarabanError('ERR_NOT_FOUND', 'No such item.')

/** Throws ERR_NOT_FOUND (and records the refusal) unless the key carries the classified scope. */
export async function requireScope(deps: ClassifiedDeps, caller: ClassifiedCaller, event: AccessEvent, itemId?: string): Promise<void> {
  if (caller.scopes.has(CLASSIFIED_SCOPE)) return
  const item = itemId === undefined ? undefined : deps.store.item(itemId)
  const agencies = item && caller.agencies.includes(item.agency) ? [item.agency] : caller.agencies.filter((a) => deps.hosted.has(a))
  for (const agency of agencies) {
    await deps.access.refused({
      agency, event, rule: 'scope-classified', code: 'ERR_NOT_FOUND', apiKey: caller.keyName, client: caller.client,
      ...(item && item.agency === agency ? { itemId: item.id, controlNumber: item.controlNumber } : {}),
    })
  }
  throw notFound()
}

/** The item, for a key with the scope that acts for its agency; else ERR_NOT_FOUND, recorded. */
export async function visibleItem(deps: ClassifiedDeps, caller: ClassifiedCaller, id: string, event: AccessEvent): Promise<ClassifiedItem> {
  await requireScope(deps, caller, event, id)
  const item = deps.store.item(id)
  if (item && caller.agencies.includes(item.agency)) return item
  if (item) {
    await deps.access.refused({ agency: item.agency, event, rule: 'key-acts-for-agency', code: 'ERR_NOT_FOUND', apiKey: caller.keyName, client: caller.client, itemId: item.id, controlNumber: item.controlNumber })
  }
  throw notFound()
}
