// The admin console (issue 17 item 2) on the API listener under /console: server-rendered pages, no
// front-end build, no script. Its own authentication (a session opened with an API key; the API's
// bearer check lets /console through, wire/console.ts), its own CSP, a CSRF check on every POST, and
// an HTML error page. Mounted by wire/console.ts; talks to services only (deps.ts).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { SarabanError } from '../errors.js'
import { hashApiKey } from './key-hash.js'
import { csrfMatches, type Session } from './session.js'
import { i18n, LANGS, type I18n, type Lang } from './i18n/index.js'
import { page, type PageContext } from './views/layout.js'
import { html } from './html.js'
import { CONSOLE_CSS, FONT_CSS, consoleFont } from './assets.js'
import type { ConsoleDeps, ConsoleKey } from './deps.js'
import { authRoutes } from './routes/auth.js'
import { dashboardRoutes } from './routes/dashboard.js'
import { mailRoutes } from './routes/mail.js'
import { letterRoutes } from './routes/letter.js'
import { registerRoutes } from './routes/registers.js'
import { webhookRoutes } from './routes/webhooks.js'
import { actionRoutes } from './routes/actions.js'
import { statisticsRoutes } from './routes/statistics.js'

export const CONSOLE_PATH = '/console'
export const SESSION_COOKIE = 'saraban_console'
export const LANG_COOKIE = 'saraban_console_lang'
const PUBLIC = ['/console/login', '/console/assets/']

export interface ConsoleRequest {
  session: Session
  key?: ConsoleKey
  i: I18n
}

declare module 'fastify' {
  interface FastifyRequest {
    console: ConsoleRequest
  }
}

export function cookies(request: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {}
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0) out[part.slice(0, eq).trim()] = decodeURIComponent(part.slice(eq + 1).trim())
  }
  return out
}

export function setSessionCookie(deps: ConsoleDeps, reply: FastifyReply, id: string, clear = false): void {
  const secure = deps.secureCookies || reply.request.protocol === 'https'
  // HttpOnly (no script reads it), SameSite=Strict (never sent on a cross-site request), Path=/console,
  // Secure when the listener is reached over TLS (issue 17 item 2).
  const attrs = ['Path=/console', 'HttpOnly', 'SameSite=Strict', ...(secure ? ['Secure'] : []), ...(clear ? ['Max-Age=0'] : [])]
  appendCookie(reply, `${SESSION_COOKIE}=${clear ? '' : id}; ${attrs.join('; ')}`)
}

function appendCookie(reply: FastifyReply, value: string): void {
  const prev = reply.getHeader('set-cookie')
  reply.header('set-cookie', prev === undefined ? [value] : [...(Array.isArray(prev) ? prev : [String(prev)]), value])
}

export function pageContext(request: FastifyRequest): PageContext {
  return { i: request.console.i, key: request.console.key, csrf: request.console.session.csrf, url: request.url }
}

export function sendPage(reply: FastifyReply, request: FastifyRequest, title: string, body: ReturnType<typeof html>, status = 200) {
  return reply.code(status).type('text/html; charset=utf-8').send(page(pageContext(request), title, body))
}

/** The caller's agencies; the routes filter everything by them. */
export function agenciesOf(request: FastifyRequest): readonly string[] {
  return request.console.key?.agencies ?? []
}

export async function consolePlugin(app: FastifyInstance, opts: { deps: ConsoleDeps }): Promise<void> {
  const { deps } = opts
  const now = () => deps.clock.now()
  app.decorateRequest('console', null as unknown as ConsoleRequest)
  // Pages, not operations of the REST API: kept out of its OpenAPI description (like /docs).
  app.addHook('onRoute', (route) => { route.schema = { ...(route.schema ?? {}), hide: true } })

  // Forms post application/x-www-form-urlencoded; nothing else is taken (and JSON is not needed here).
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 64 * 1024 }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)))
  })

  app.addHook('onSend', async (_request, reply) => {
    // Replaces the API's "default-src 'none'": the console loads its own stylesheet, nothing else, and
    // is never framed. No script at all.
    reply.header('content-security-policy', "default-src 'none'; style-src 'self'; font-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
    reply.header('cache-control', 'no-store')
    reply.header('referrer-policy', 'same-origin')
  })

  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?')[0]!
    if (path.startsWith('/console/assets/')) return
    // Language: ?lang= sets the cookie; else the cookie; else Thai (issue 17 item 2: Thai first).
    const c = cookies(request)
    const asked = new URL(request.url, 'http://console.invalid').searchParams.get('lang')
    let lang: Lang = LANGS.includes(c[LANG_COOKIE] as Lang) ? (c[LANG_COOKIE] as Lang) : 'th'
    if (asked && LANGS.includes(asked as Lang)) {
      lang = asked as Lang
      appendCookie(reply, `${LANG_COOKIE}=${lang}; Path=/console; SameSite=Strict; Max-Age=31536000${deps.secureCookies || request.protocol === 'https' ? '; Secure' : ''}`)
    }
    const i = i18n(lang)
    let session = await deps.sessions.get(c[SESSION_COOKIE], now())
    const key = session?.keySha256 ? deps.lookupKey(session.keySha256) : undefined
    if (session?.keySha256 && !key) {
      // The key was removed while the session was open: the session ends with it.
      await deps.sessions.close(session.id)
      session = undefined
    }
    const isPublic = PUBLIC.some((p) => path === p || path.startsWith(p))
    if (!session) {
      if (!isPublic) {
        if (request.method === 'GET') return reply.redirect(`/console/login${c[SESSION_COOKIE] ? '?expired=1' : ''}`, 303)
        request.console = { session: deps.sessions.transient(now()), i }
        throw new SarabanError('ERR_FORBIDDEN', i.t('sessionExpired'))
      }
      session = await deps.sessions.open(now())
      setSessionCookie(deps, reply, session.id)
    } else if (!key && !isPublic) {
      // A login form's session may do nothing but log in.
      if (request.method === 'GET') return reply.redirect('/console/login', 303)
      request.console = { session, i }
      throw new SarabanError('ERR_FORBIDDEN', i.t('sessionExpired'))
    }
    request.console = { session, i, ...(key ? { key } : {}) }
  })

  // The synchroniser token (OWASP): every POST carries the session's token in a hidden field.
  app.addHook('preHandler', async (request) => {
    if (request.method !== 'POST') return
    const body = request.body as Record<string, unknown> | undefined
    if (!csrfMatches(request.console.session, body?._csrf)) {
      throw new SarabanError('ERR_FORBIDDEN', request.console.i.t('csrfRefused'), { field: '_csrf' })
    }
  })

  app.setErrorHandler(async (err: Error & { statusCode?: number; status?: number }, request, reply) => {
    const known = err instanceof SarabanError
    const status = known ? err.status : err.statusCode && err.statusCode < 500 ? err.statusCode : 500
    if (status >= 500) request.log.error({ err, event: 'console.error' }, 'console page failed')
    const i = request.console?.i ?? i18n('th')
    if (!request.console) request.console = { session: deps.sessions.transient(now()), i }
    const message = status === 404 ? i.t('notFound') : status >= 500 ? i.t('errorTitle') : err.message
    return sendPage(reply, request, i.t('errorTitle'), html`<p class="error" role="alert">${message}${known ? html` <code>${err.code}</code>` : ''}</p><p><a href="/console">${i.t('backToDashboard')}</a></p>`, status)
  })

  const css = FONT_CSS + CONSOLE_CSS
  app.get('/console/assets/console.css', async (_request, reply) => reply.type('text/css; charset=utf-8').send(css))
  app.get<{ Params: { name: string } }>('/console/assets/fonts/:name', async (request, reply) => {
    const font = consoleFont(request.params.name)
    if (!font) throw new SarabanError('ERR_NOT_FOUND', 'No such font.')
    return reply.type('font/woff2').send(font)
  })

  await authRoutes(app, deps)
  await dashboardRoutes(app, deps)
  await mailRoutes(app, deps)
  await letterRoutes(app, deps)
  await registerRoutes(app, deps)
  await webhookRoutes(app, deps)
  await actionRoutes(app, deps)
  await statisticsRoutes(app, deps)
}

export { hashApiKey }
