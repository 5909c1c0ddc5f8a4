// GetMinistryOrganizationList and GetOrganizationList (e-cms.md §3 3.3.1, 6.1; issue 18 §5), from the
// signed directory (PROTOCOL.md §1.4 agencies[].ecms). Every agency is reached through the caller's
// own gateway, so ECMS-URL is this gateway's URL for the calling agency.
import { el, type XmlEl } from '../xml.js'
import type { EcmsHandler } from '../dispatch.js'
import type { DirectoryAgency } from '../../../pki/directory.js'

/** Active agencies with e-CMS ids, in directory order. */
export function ecmsAgencies(all: readonly DirectoryAgency[]): Array<DirectoryAgency & { ecms: NonNullable<DirectoryAgency['ecms']> }> {
  return all.filter((a): a is DirectoryAgency & { ecms: NonNullable<DirectoryAgency['ecms']> } => a.ecms !== undefined && a.status === 'active')
}

export const ministryListHandler: EcmsHandler = async (_call, deps) => {
  const seen = new Map<string, string>()
  for (const a of ecmsAgencies(deps.directory().all())) {
    if (!seen.has(a.ecms.ministry)) seen.set(a.ecms.ministry, a.ecms.ministryNameTh ?? '')
  }
  const children: XmlEl[] = [...seen].map(([id, name]) => el('MinistryOrganization', undefined, [el('Th-Name', undefined, name), el('MinistryID', undefined, id)]))
  return { root: 'MinistryOrganizationList', children }
}

export const organizationListHandler: EcmsHandler = async (call, deps) => {
  const url = deps.gatewayUrl(call.agency)
  const children = ecmsAgencies(deps.directory().all()).map((a) =>
    el('OrganizationInfo', undefined, [
      el('En-Name', undefined, a.nameEn),
      el('Th-Name', undefined, a.nameTh),
      el('ECMS-URL', undefined, url),
      // The 10-digit id where the directory has one (the 2016 directory's form), else the 5-digit one.
      el('OrganizationID', undefined, a.ecms.organization ?? a.ecms.department),
      el('MinistryID', undefined, a.ecms.ministry),
      el('DepartmentID', undefined, a.ecms.department),
    ]),
  )
  return { root: 'OrganizationList', children }
}
