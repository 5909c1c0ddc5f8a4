// A cookie-keeping HTTP client for the admin console (issue 17 item 2) without a browser: fetch with
// redirects off, the session cookie kept, and the CSRF token read from the page's hidden field.
export interface ConsoleAnswer { status: number; headers: Headers; text: string; location?: string }

export class ConsoleClient {
  readonly jar = new Map<string, string>()
  constructor(readonly baseUrl: string) {}

  async request(method: 'GET' | 'POST', path: string, form?: Record<string, string>): Promise<ConsoleAnswer> {
    const res = await fetch(this.baseUrl + path, {
      method,
      redirect: 'manual',
      headers: {
        ...(this.jar.size > 0 ? { cookie: [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ') } : {}),
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(form ? { body: new URLSearchParams(form).toString() } : {}),
    })
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';')
      const eq = pair!.indexOf('=')
      const name = pair!.slice(0, eq)
      const value = pair!.slice(eq + 1)
      if (value === '' || /max-age=0/i.test(c)) this.jar.delete(name)
      else this.jar.set(name, value)
    }
    const location = res.headers.get('location') ?? undefined
    return { status: res.status, headers: res.headers, text: await res.text(), ...(location ? { location } : {}) }
  }

  get(path: string) { return this.request('GET', path) }

  /** GET a page, then POST `form` with the page's CSRF token. */
  async submit(pagePath: string, action: string, form: Record<string, string>): Promise<ConsoleAnswer> {
    const page = await this.get(pagePath)
    return this.request('POST', action, { _csrf: csrfOf(page.text), ...form })
  }

  async login(key: string): Promise<ConsoleAnswer> {
    return this.submit('/console/login', '/console/login', { key })
  }
}

export function csrfOf(html: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html)
  if (!m) throw new Error('no CSRF field on the page')
  return m[1]!
}
