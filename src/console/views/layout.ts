// The frame of every console page: language, skip link, header with the signed-in key and the
// language switch, the main menu, and the page (issue 17 item 2; WCAG: landmarks, labels, focus).
import { html, type Html } from '../html.js'
import type { I18n, MessageKey } from '../i18n/index.js'
import type { ConsoleKey } from '../deps.js'

export interface PageContext {
  readonly i: I18n
  readonly key?: ConsoleKey | undefined
  readonly csrf: string
  /** The request's path and query, for the language switch. */
  readonly url: string
}

const MENU: ReadonlyArray<[string, MessageKey]> = [
  ['/console', 'navDashboard'], ['/console/outbox', 'navOutbox'], ['/console/inbox', 'navInbox'],
  ['/console/registers', 'navRegisters'], ['/console/statistics', 'navStatistics'], ['/console/webhooks', 'navWebhooks'], ['/console/actions', 'navActions'],
]

export function langSwitchUrl(url: string, lang: string): string {
  const u = new URL(url, 'http://console.invalid')
  u.searchParams.set('lang', lang)
  return u.pathname + u.search
}

export function csrfField(ctx: PageContext): Html {
  return html`<input type="hidden" name="_csrf" value="${ctx.csrf}">`
}

export function page(ctx: PageContext, title: string, body: Html): string {
  const { i } = ctx
  const path = new URL(ctx.url, 'http://console.invalid').pathname
  const current = (href: string) => (href === '/console' ? path === '/console' || path === '/console/' : path.startsWith(href))
  return '<!doctype html>' + html`<html lang="${i.lang}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · ${i.t('appName')}</title><link rel="stylesheet" href="/console/assets/console.css"></head>
<body>
<a class="skip" href="#main">${i.t('skipToContent')}</a>
<header>
  <span class="app">${i.t('appName')}</span>
  ${ctx.key ? html`<span class="who">${i.t('signedInAs', { name: ctx.key.name, agencies: ctx.key.agencies.join(', ') })}</span>` : ''}
  <a href="${langSwitchUrl(ctx.url, i.lang === 'th' ? 'en' : 'th')}" lang="${i.lang === 'th' ? 'en' : 'th'}" hreflang="${i.lang === 'th' ? 'en' : 'th'}" title="${i.t('switchLanguageLabel')}">${i.t('switchLanguage')}</a>
  ${ctx.key ? html`<form method="post" action="/console/logout">${csrfField(ctx)}<button type="submit">${i.t('logout')}</button></form>` : ''}
</header>
${ctx.key ? html`<nav aria-label="${i.t('navMain')}"><ul>${MENU.map(([href, k]) => html`<li><a href="${href}"${current(href) ? html` aria-current="page"` : ''}>${i.t(k)}</a></li>`)}</ul></nav>` : ''}
<main id="main">
<h1>${title}</h1>
${body}
</main>
</body></html>`.text
}

export function badge(i: I18n, prefix: string, state: string): Html {
  return html`<span class="badge s-${state}">${i.tk(`${prefix}${state}`)}</span>`
}
