// The routes a server registers, as "METHOD /path/{param}", for the check that each is described
// (test/api-client/coverage.test.ts). HEAD (Fastify's automatic twin of GET), the Swagger UI under
// /docs and the admin console's pages under /console (issue 17 item 2) are not operations of the API.
import type { FastifyInstance } from 'fastify'

type AnyServer = FastifyInstance<any, any, any, any>
const registered = new WeakMap<AnyServer, string[]>()

/** Call before any route is added: from then on every route of `app` and its children is listed. */
export function collectRoutes(app: AnyServer): void {
  const list: string[] = []
  registered.set(app, list)
  app.addHook('onRoute', (route) => {
    if (route.url === '/docs' || route.url.startsWith('/docs/') || route.url === '/console' || route.url.startsWith('/console/')) return
    const path = route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}')
    for (const method of [route.method].flat()) if (method !== 'HEAD') list.push(`${method} ${path}`)
  })
}

/** What collectRoutes saw on `app`, in registration order. */
export function registeredRoutes(app: AnyServer): readonly string[] {
  return registered.get(app) ?? []
}
