// The classified letter (schemas/protocol/classified-letter.json) as TypeScript sees it.
import type { LetterObject } from '../../crypto/types.js'

export type ClassifiedLevel = 'CONFIDENTIAL' | 'SECRET' | 'TOP_SECRET'

export interface ClassifiedAddressee { agency: string; officer?: string; position: string }

export interface ClassifiedLetter {
  v: 1
  controlNumber: string
  from: string
  to: string[]
  level: ClassifiedLevel
  copy: { number: number; of: number }
  addressees: ClassifiedAddressee[]
  letter: LetterObject & { secrecy?: string } & Record<string, unknown>
}
