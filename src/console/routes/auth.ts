// Log in with one of the node's API keys, log out (issue 17 item 2). Logging in opens a new session
// (a new id and token: the login form's session is never promoted, so a planted id gains nothing).
import type { FastifyInstance, FastifyRequest, FastifyReply } from 'fastify'
import { html } from '../html.js'
import { csrfField } from '../views/layout.js'
import { hashApiKey } from '../key-hash.js'
import { pageContext, sendPage, setSessionCookie } from '../plugin.js'
import type { ConsoleDeps } from '../deps.js'

function loginForm(request: FastifyRequest, reply: FastifyReply, message?: string, status = 200) {
  const { i } = request.console
  const ctx = pageContext(request)
  return sendPage(reply, request, i.t('loginTitle'), html`
${message ? html`<p class="error" role="alert">${message}</p>` : ''}
<p>${i.t('loginIntro')}</p>
<form method="post" action="/console/login">
  ${csrfField(ctx)}
  <p><label for="key">${i.t('apiKey')}</label>
  <input id="key" name="key" type="password" autocomplete="current-password" required size="40"></p>
  <p><button type="submit">${i.t('loginButton')}</button></p>
</form>`, status)
}

export async function authRoutes(app: FastifyInstance, deps: ConsoleDeps): Promise<void> {
  app.get<{ Querystring: { expired?: string } }>('/console/login', async (request, reply) => {
    if (request.console.key) return reply.redirect('/console', 303)
    return loginForm(request, reply, request.query.expired ? request.console.i.t('sessionExpired') : undefined)
  })

  app.post<{ Body: { key?: string } }>('/console/login', async (request, reply) => {
    const given = typeof request.body?.key === 'string' ? request.body.key.trim() : ''
    const sha256 = hashApiKey(given)
    const key = given ? deps.lookupKey(sha256) : undefined
    if (!key) {
      await deps.audit.record({ keyName: '(unknown key)', agencies: [] }, 'login-refused', 'refused')
      return loginForm(request, reply, request.console.i.t('loginRefused'), 401)
    }
    await deps.sessions.close(request.console.session.id)
    const session = await deps.sessions.open(deps.clock.now(), sha256)
    setSessionCookie(deps, reply, session.id)
    await deps.audit.record({ keyName: key.name, agencies: key.agencies }, 'login', 'ok')
    deps.log.info({ event: 'console.login', key: key.name }, 'console session opened')
    return reply.redirect('/console', 303)
  })

  app.post('/console/logout', async (request, reply) => {
    const key = request.console.key
    await deps.sessions.close(request.console.session.id)
    setSessionCookie(deps, reply, '', true)
    if (key) await deps.audit.record({ keyName: key.name, agencies: key.agencies }, 'logout', 'ok')
    return reply.redirect('/console/login', 303)
  })
}
