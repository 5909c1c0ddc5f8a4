// A classified letter for tests (schemas/protocol/classified-letter.json) around the sample letter.
import type { ClassifiedLetter, ClassifiedLevel } from '../../src/classified/inner/types.js'
import { sampleLetter } from '../vectors/fixtures.js'

export const MARKER = 'MARKER-ลับมาก-7f3a9c'

export function classifiedLetter(from: string, to: string, level: ClassifiedLevel, attachments: readonly Buffer[], controlNumber = `${from}-2569-000123`): ClassifiedLetter {
  const letter = sampleLetter(from, to, attachments)
  return {
    v: 1, controlNumber, from, to: [to], level, copy: { number: 1, of: 3 },
    addressees: [{ agency: to, officer: 'registrar', position: 'ปลัดกระทรวงการคลัง' }],
    letter: { ...letter, secrecy: level, body: `${String(letter['body'])} ${MARKER}` },
  }
}
