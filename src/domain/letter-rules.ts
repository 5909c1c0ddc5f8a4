// Rules about a letter that JSON Schema cannot say (schemas/protocol/letter.json names them in its
// description). Pure: each returns every problem found as FieldProblem (JSON Pointer + message).
import type { FieldProblem } from '../errors.js'
import type { Addressee, AttachmentRef } from './letter.js'

/** Recipient agencies are unique; copyTo agencies are unique and repeat no recipient. */
export function addresseeProblems(letter: { recipients: readonly Addressee[]; copyTo?: readonly Addressee[] }, base = ''): FieldProblem[] {
  const problems: FieldProblem[] = []
  const firstRecipient = new Map<string, number>()
  letter.recipients.forEach((r, i) => {
    const first = firstRecipient.get(r.agency)
    if (first === undefined) firstRecipient.set(r.agency, i)
    else problems.push({ field: `${base}/recipients/${i}/agency`, message: `must not repeat recipient ${first} (${r.agency})` })
  })
  const firstCopy = new Map<string, number>()
  ;(letter.copyTo ?? []).forEach((c, i) => {
    const asRecipient = firstRecipient.get(c.agency)
    const first = firstCopy.get(c.agency)
    if (asRecipient !== undefined) {
      problems.push({ field: `${base}/copyTo/${i}/agency`, message: `must not be a recipient as well (recipient ${asRecipient}, ${c.agency})` })
    } else if (first !== undefined) {
      problems.push({ field: `${base}/copyTo/${i}/agency`, message: `must not repeat copyTo ${first} (${c.agency})` })
    } else {
      firstCopy.set(c.agency, i)
    }
  })
  return problems
}

/** Items whose `id` repeats an earlier one's, as field problems naming both (`what` names the items). */
export function duplicateIdProblems(items: readonly { id: string }[], base: string, what: string): FieldProblem[] {
  const problems: FieldProblem[] = []
  const first = new Map<string, number>()
  items.forEach((a, i) => {
    const j = first.get(a.id)
    if (j === undefined) first.set(a.id, i)
    else problems.push({ field: `${base}/${i}/id`, message: `must not repeat the id of ${what} ${j} (${a.id})` })
  })
  return problems
}

/** Attachment ids are unique within the manifest (they name the files in the envelope and in URLs). */
export function manifestProblems(attachments: readonly AttachmentRef[], base = '/attachments'): FieldProblem[] {
  return duplicateIdProblems(attachments, base, 'attachment')
}
