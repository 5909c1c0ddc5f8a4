// ชั้นความลับ (secrecy), Regulation on Maintaining Official Secrets 2544, as a table.
// rank grows with sensitivity; ecms is the e-CMS code.

export const SECRECIES = ['UNCLASSIFIED', 'CONFIDENTIAL', 'SECRET', 'TOP_SECRET'] as const
export type Secrecy = (typeof SECRECIES)[number]

export interface SecrecyRow {
  readonly rank: number
  readonly th: string
  readonly ecms: string
}

export const SECRECY: Readonly<Record<Secrecy, SecrecyRow>> = {
  UNCLASSIFIED: { rank: 0, th: 'ปกติ', ecms: '001' },
  CONFIDENTIAL: { rank: 1, th: 'ลับ', ecms: '002' },
  SECRET: { rank: 2, th: 'ลับมาก', ecms: '003' },
  TOP_SECRET: { rank: 3, th: 'ลับที่สุด', ecms: '004' },
}

export function isClassified(s: Secrecy): boolean {
  return SECRECY[s].rank > 0
}
