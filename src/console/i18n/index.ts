// The console's two languages (issue 17 item 2): Thai first, English on request (?lang=en or the
// cookie it sets). Dates: Buddhist era with Thai digits for a Thai reader, ISO-like for English.
import { th } from './th.js'
import { en } from './en.js'
import { thaiDateTime, thaiDigits, bangkokTime } from '../../domain/thai.js'

export type MessageKey = keyof typeof th
export type Messages = { readonly [K in MessageKey]: string }
export type Lang = 'th' | 'en'
export const LANGS: readonly Lang[] = ['th', 'en']

const CATALOGUES: Record<Lang, Messages> = { th, en }

export interface I18n {
  readonly lang: Lang
  t(key: MessageKey, vars?: Record<string, string | number>): string
  /** A message key built at run time (state_…, role_…): the key itself when it is not in the catalogue. */
  tk(key: string, vars?: Record<string, string | number>): string
  dateTime(at: number | undefined | null): string
  /** A number as the reader reads it (Thai digits in Thai). */
  num(n: number | string): string
}

export function i18n(lang: Lang): I18n {
  const cat = CATALOGUES[lang]
  const fill = (s: string, vars?: Record<string, string | number>) => (vars ? s.replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m)) : s)
  const self: I18n = {
    lang,
    t: (key, vars) => fill(cat[key], vars),
    tk: (key, vars) => fill(key in cat ? cat[key as MessageKey] : key, vars),
    dateTime: (at) => {
      if (at === undefined || at === null || !Number.isFinite(at)) return '–'
      if (lang === 'th') return thaiDateTime(at)
      const b = bangkokTime(at)
      return `${b.year}-${p2(b.month)}-${p2(b.day)} ${p2(b.hour)}:${p2(b.minute)}`
    },
    num: (n) => (lang === 'th' ? thaiDigits(String(n)) : String(n)),
  }
  return self
}

const p2 = (n: number) => String(n).padStart(2, '0')
