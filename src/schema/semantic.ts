// Checks that run after a schema passed, for rules JSON Schema cannot express (house style §6: the
// schema stays normative; these only add). Keyed by schema id, so every caller of validate() and
// every Fastify route using { $ref: id } gets them.
import type { FieldProblem } from '../errors.js'
import type { Letter, LetterCreateRequest, LetterDraft } from '../domain/letter.js'
import { addresseeProblems, duplicateIdProblems, manifestProblems } from '../domain/letter-rules.js'
import { schemaIds, type SchemaId } from './ids.js'

type Rule = (data: never) => FieldProblem[]

/** Standard base64 is padded to a multiple of 4 (RFC 4648 §4); the schema pattern checks the alphabet. */
function base64Problems(files: LetterCreateRequest['attachments']): FieldProblem[] {
  const problems: FieldProblem[] = []
  ;(files ?? []).forEach((f, i) => {
    if (f.content.length % 4 !== 0) {
      problems.push({ field: `/attachments/${i}/content`, message: 'must be standard base64 (RFC 4648 §4, with padding, no line breaks)' })
    }
  })
  return problems
}

const rules: Partial<Record<SchemaId, Rule>> = {
  [schemaIds.letter]: (l: Letter) => [...addresseeProblems(l), ...manifestProblems(l.attachments)],
  [schemaIds.apiLetterDraft]: (d: LetterDraft) => addresseeProblems(d),
  [schemaIds.apiLetterCreate]: (r: LetterCreateRequest) => [...addresseeProblems(r.letter, '/letter'), ...base64Problems(r.attachments)],
  [schemaIds.directory]: (d: { agencies: { id: string }[] }) => duplicateIdProblems(d.agencies, '/agencies', 'item'),
}

/** Extra problems for data that already passed schema `id`. */
export function semanticProblems(id: SchemaId, data: unknown): FieldProblem[] {
  const rule = rules[id] as ((data: unknown) => FieldProblem[]) | undefined
  return rule === undefined ? [] : rule(data)
}
