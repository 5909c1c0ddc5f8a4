// `--target-api URL`: the kit's view of the target as a sender, through the REST API of README "REST
// API" (saraban-node's, which another implementation may offer too). The protocol itself shows a
// receiver nothing of what a sender recorded: a sender that fails a recipient at once after a bad
// receipt (PROTOCOL.md §7.2) simply stops sending, which from outside looks the same as a sender
// that took the letter as delivered. With the API the kit sends the target's letters to its own
// agency itself (no manual step) and reads each recipient's status.
export interface TargetApi {
  readonly url: string
  readonly key: string
}

export interface RecipientState {
  readonly status: string
  readonly messageId?: string
  readonly code?: string
  readonly detail?: string
}

async function call(api: TargetApi, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(new URL(path, api.url), {
    method,
    headers: { authorization: `Bearer ${api.key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const text = await res.text()
  if (!res.ok) throw new Error(`the target's API answered ${method} ${path} with ${res.status}: ${text.slice(0, 300)}`)
  return JSON.parse(text) as unknown
}

/** POST /api/v1/letters: a short letter from the target agency to `to` (no ที่: the target numbers it); returns the letter id. */
export async function sendLetterVia(api: TargetApi, to: string, subject: string): Promise<string> {
  const r = await call(api, 'POST', '/api/v1/letters', {
    letter: {
      kind: 'EXTERNAL', date: new Date().toISOString().slice(0, 10), subject,
      salutation: 'เรียน ผู้ทดสอบ', recipients: [{ agency: to }], body: 'หนังสือทดสอบจากชุดทดสอบความสอดคล้อง ไม่ต้องดำเนินการ',
      closing: 'ขอแสดงความนับถือ', signer: { name: 'ผู้ส่ง', position: 'ผู้ทดสอบ' },
    },
  }) as { id?: unknown }
  if (typeof r.id !== 'string') throw new Error('the target\'s API answered POST /api/v1/letters without an "id"')
  return r.id
}

/** GET /api/v1/letters/{id}: the delivery status of recipient `agency` (PROTOCOL.md §7.3). */
export async function recipientState(api: TargetApi, letterId: string, agency: string): Promise<RecipientState | undefined> {
  const r = await call(api, 'GET', `/api/v1/letters/${encodeURIComponent(letterId)}`) as { recipients?: Array<Record<string, unknown>> }
  const x = r.recipients?.find((y) => y['agency'] === agency)
  if (x === undefined) return undefined
  const err = x['lastError'] as { code?: string; detail?: string } | undefined
  return {
    status: String(x['status']),
    ...(typeof x['messageId'] === 'string' ? { messageId: x['messageId'] } : {}),
    ...(err?.code !== undefined ? { code: err.code } : {}),
    ...(err?.detail !== undefined ? { detail: err.detail } : {}),
  }
}
