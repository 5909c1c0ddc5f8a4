// The per-level rules an officer's CLI enforces at seal and at open (PROTOCOL.md §19 "Per level",
// classified-design.md §2 "Opening"; issue 12 §6). The nodes cannot: they never learn the level.
//   CONFIDENTIAL  ≥ 1 signer, an officer of `from`
//   SECRET        ≥ 2 signers, distinct officers of `from` (two-person release)
//   TOP_SECRET    refused unless the directory's classifiedPolicy.topSecretElectronic lists the pair
//                 (from, to) for every `to`; then ≥ 2 distinct officers of `from` and every addressee
//                 names an officer.
import { SarabanError } from '../errors.js'
import type { OfficerRef } from './officers.js'
import type { ClassifiedLetter } from './inner/types.js'

export interface ClassifiedPolicy { topSecretElectronic?: { from: string; to: string }[] }

interface LevelRule { minSigners: number; needsPolicyPair: boolean; namedOfficers: boolean }

const RULES: Record<ClassifiedLetter['level'], LevelRule> = {
  CONFIDENTIAL: { minSigners: 1, needsPolicyPair: false, namedOfficers: false },
  SECRET: { minSigners: 2, needsPolicyPair: false, namedOfficers: false },
  TOP_SECRET: { minSigners: 2, needsPolicyPair: true, namedOfficers: true },
}

/** May a letter of this level go electronically from → each of to? (Checked before sealing too.) */
export function checkLevelAllowed(level: ClassifiedLetter['level'], from: string, to: readonly string[], policy: ClassifiedPolicy | undefined): void {
  if (!RULES[level].needsPolicyPair) return
  const pairs = policy?.topSecretElectronic ?? []
  const missing = to.filter((t) => !pairs.some((p) => p.from === from && p.to === t))
  if (missing.length > 0) {
    throw new SarabanError('ERR_CLASSIFIED_LEVEL_REFUSED', `TOP_SECRET letters may not travel electronically from ${from} to ${missing.join(', ')}: the directory's classifiedPolicy does not allow it; dispatch it by hand and record it with \`classified by-hand\`.`, { field: 'level' })
  }
}

/** The signers (already matched to directory officers, undefined = no officer) against the level. */
export function checkLevel(letter: ClassifiedLetter, signers: readonly (OfficerRef | undefined)[], policy: ClassifiedPolicy | undefined): void {
  const rule = RULES[letter.level]
  checkLevelAllowed(letter.level, letter.from, letter.to, policy)
  const i = signers.findIndex((s) => s === undefined || s.agency !== letter.from)
  if (i >= 0) throw new SarabanError('ERR_SIGNER_UNTRUSTED', `Signer ${i + 1} of the classified letter is not an officer of ${letter.from} in the directory.`)
  const distinct = new Set(signers.map((s) => s!.officer)).size
  if (distinct < rule.minSigners) {
    throw new SarabanError('ERR_CLASSIFIED_SIGNERS', `A ${letter.level} letter needs ${rule.minSigners} signatures by distinct officers of ${letter.from}; it has ${distinct}. Have a second officer sign it with \`classified cosign\`.`)
  }
  if (rule.namedOfficers && letter.addressees.some((a) => a.officer === undefined)) {
    throw new SarabanError('ERR_CLASSIFIED_SIGNERS', 'A TOP_SECRET letter must name an officer in every addressee.', { field: '/addressees' })
  }
}
