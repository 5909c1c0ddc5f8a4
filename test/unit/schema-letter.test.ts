// urn:saraban:protocol:letter:v1 and the API letter schemas: realistic Thai letters pass, and every
// problem comes back at once with its JSON Pointer (house style §12: assert codes and fields).
import t from 'tap'
import { check, schemaIds, validate } from '../../src/schema/index.js'
import { isSarabanError, type FieldProblem } from '../../src/errors.js'
import type { Letter } from '../../src/domain/letter.js'
import { draft, letter } from './schema-fixtures.test.js'

const fields = (r: { ok: boolean; errors?: FieldProblem[] }) => (r.ok ? [] : (r.errors ?? []).map((e) => e.field))
const problems = (id: Parameters<typeof check>[0], data: unknown) => {
  const r = check(id, data)
  return r.ok ? [] : r.errors
}

t.test('a full external letter (หนังสือภายนอก) passes and keeps its Thai text', async (t) => {
  const l = letter()
  const v = validate<Letter>(schemaIds.letter, l)
  t.equal(v.subject, 'ขอเชิญประชุมคณะทำงานพัฒนาระบบสารบรรณอิเล็กทรอนิกส์')
  t.equal(v.salutation, 'เรียน ปลัดกระทรวงการคลัง')
  t.equal(v.closing, 'ขอแสดงความนับถือ')
  t.equal(v, l, 'validate returns the same object')
})

t.test('defaults: urgency NORMAL, secrecy UNCLASSIFIED', async (t) => {
  const l = letter()
  delete l.urgency
  delete l.secrecy
  const v = validate<Letter>(schemaIds.letter, l)
  t.equal(v.urgency, 'NORMAL')
  t.equal(v.secrecy, 'UNCLASSIFIED')
})

t.test('minimal letters of every kind, with their sub-kinds', async (t) => {
  const base = {
    date: '2026-11-25',
    subject: 'แต่งตั้งคณะทำงานพัฒนาระบบสารบรรณอิเล็กทรอนิกส์',
    sender: { agency: 'moi', name: 'กระทรวงมหาดไทย' },
    recipients: [{ agency: 'dga' }],
    signer: { name: 'นางสาวสมหญิง รักชาติ', position: 'ปลัดกระทรวงมหาดไทย' },
    attachments: [],
  }
  const ok: Array<[string, string | undefined, string | undefined]> = [
    ['EXTERNAL', undefined, 'เรียน ผู้อำนวยการสำนักงานพัฒนารัฐบาลดิจิทัล'],
    ['INTERNAL', undefined, 'เรียน ปลัดกระทรวงมหาดไทย'],
    ['STAMPED', undefined, 'ถึง สำนักงานพัฒนารัฐบาลดิจิทัล'],
    ['DIRECTIVE', 'ORDER', undefined],
    ['DIRECTIVE', 'REGULATION', undefined],
    ['DIRECTIVE', 'BYLAW', undefined],
    ['PUBLIC_RELATIONS', 'ANNOUNCEMENT', undefined],
    ['PUBLIC_RELATIONS', 'STATEMENT', undefined],
    ['PUBLIC_RELATIONS', 'NEWS', undefined],
    ['EVIDENTIARY', 'CERTIFICATE', undefined],
    ['EVIDENTIARY', 'MINUTES', undefined],
    ['EVIDENTIARY', 'NOTE', undefined],
    ['EVIDENTIARY', 'OTHER', 'เรียน ผู้อำนวยการ'],
  ]
  for (const [kind, subKind, salutation] of ok) {
    const l = { ...base, kind, ...(subKind ? { subKind } : {}), ...(salutation ? { salutation } : {}) }
    t.same(problems(schemaIds.letter, l), [], `${kind} ${subKind ?? ''}`)
  }
})

t.test('sub-kinds only where the kind has them', async (t) => {
  const l = (kind: string, subKind?: string) => ({ ...letter(), kind, ...(subKind ? { subKind } : {}) })
  t.same(problems(schemaIds.letter, l('DIRECTIVE', 'NEWS')), [{ field: '/subKind', message: 'must be one of ORDER, REGULATION, BYLAW' }])
  t.same(problems(schemaIds.letter, l('PUBLIC_RELATIONS', 'ORDER')), [{ field: '/subKind', message: 'must be one of ANNOUNCEMENT, STATEMENT, NEWS' }])
  t.same(problems(schemaIds.letter, l('EVIDENTIARY', 'BYLAW')), [{ field: '/subKind', message: 'must be one of CERTIFICATE, MINUTES, NOTE, OTHER' }])
  t.same(problems(schemaIds.letter, l('EVIDENTIARY')), [{ field: '/subKind', message: 'is required' }])
  t.same(problems(schemaIds.letter, l('EXTERNAL', 'ORDER')), [{ field: '/subKind', message: 'is not allowed here' }])
  t.same(problems(schemaIds.letter, l('DIRECTIVE', 'MEMO')), [
    { field: '/subKind', message: 'must be one of ORDER, REGULATION, BYLAW, ANNOUNCEMENT, STATEMENT, NEWS, CERTIFICATE, MINUTES, NOTE, OTHER' },
    { field: '/subKind', message: 'must be one of ORDER, REGULATION, BYLAW' },
  ])
  const noSalutation = { ...letter() }
  delete noSalutation.salutation
  t.same(problems(schemaIds.letter, noSalutation), [{ field: '/salutation', message: 'is required' }], 'external letters need คำขึ้นต้น')
})

t.test('every problem at once, each at its JSON Pointer', async (t) => {
  const bad = {
    ...letter(),
    kind: 'MEMO',
    date: '2569-11-25', // Buddhist era by mistake
    subject: '   ',
    salutation: 'เรียน\nปลัดกระทรวงการคลัง',
    sender: { agency: 'MOI', name: 'กระทรวงมหาดไทย', phone: '02' },
    recipients: [],
    copyTo: [{ agency: 'x' }],
    references: [{ number: 'กค 0406.2/ว 123' }],
    enclosures: [{ description: 'กำหนดการประชุม', count: 0 }],
    body: 'ข้อความ\u0007',
    closing: '',
    signer: { name: 'นายสมชาย ใจดี', actingFor: { capacity: 'DEPUTY', position: 'ปลัดกระทรวงมหาดไทย' } },
    owningUnit: { name: 'กองกลาง', email: 'not-an-email' },
    urgency: 'FAST',
    deliverBy: '2026-11-26 16:30',
    secrecy: 'SECRETISH',
    attachments: [{ id: '-a', filename: '../etc/passwd', mediaType: 'PDF', size: -1, sha256: 'E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855' }],
    extra: true,
  }
  const r = check(schemaIds.letter, bad)
  t.same(fields(r).sort(), [
    '/attachments/0/filename', '/attachments/0/id', '/attachments/0/mediaType', '/attachments/0/sha256', '/attachments/0/size',
    '/body', '/closing', '/copyTo/0/agency', '/date', '/deliverBy', '/enclosures/0/count', '/extra', '/kind',
    '/owningUnit/email', '/recipients', '/references/0/text', '/salutation', '/secrecy', '/sender/agency', '/sender/phone',
    '/signer/actingFor/capacity', '/signer/position', '/subject', '/urgency',
  ])
  const msg = (f: string) => (r.ok ? [] : r.errors.filter((e) => e.field === f).map((e) => e.message))
  t.same(msg('/date'), ['must be a date YYYY-MM-DD in the Common Era (ค.ศ., not พ.ศ.)'])
  t.same(msg('/urgency'), ['must be one of NORMAL, URGENT, VERY_URGENT, MOST_URGENT'])
  t.same(msg('/secrecy'), ['must be one of UNCLASSIFIED, CONFIDENTIAL, SECRET, TOP_SECRET'])
  t.same(msg('/closing'), ['must not be empty'])
  t.same(msg('/subject'), ['must be a single line of text without control characters'])
  t.same(msg('/salutation'), ['must be a single line of text without control characters'])
  t.same(msg('/body'), ['must be text without control characters (line breaks and tabs are allowed)'])
  t.same(msg('/attachments/0/sha256'), ['must be a SHA-256 digest as 64 lowercase hex characters'], 'one message, not three')
  t.same(msg('/sender/phone'), ['is not an allowed property'])
  t.same(msg('/recipients'), ['must have at least one item'])
  t.same(msg('/deliverBy'), ['must be a date-time with a time zone (RFC 3339, e.g. 2026-11-25T14:30:00+07:00)'])
})

t.test('strings: lengths, bidi overrides, lone surrogates; Thai and line breaks where allowed', async (t) => {
  const at = (patch: Record<string, unknown>) => fields(check(schemaIds.letter, { ...letter(), ...patch }))
  t.same(at({ subject: 'ก'.repeat(500) }), [], '500 Thai characters fit')
  t.same(at({ subject: 'ก'.repeat(501) }), ['/subject'])
  t.same(at({ subject: 'ขอเชิญประชุม\u202Eโกง' }), ['/subject'], 'bidi override')
  t.same(at({ subject: 'ขอเชิญ\uD800' }), ['/subject'], 'lone surrogate')
  t.same(at({ subject: 'ขอเชิญประชุม\u200Bคณะทำงาน' }), [], 'zero-width space (Thai word break) is fine')
  t.same(at({ body: 'บรรทัดแรก\r\nบรรทัดสอง\tย่อหน้า' }), [], 'CRLF and tabs in the body')
  t.same(at({ date: '2026-02-30' }), ['/date'], 'no 30 February')
  t.same(at({ number: 'มท 0201.2/ว 1590' }), [], 'circular number with ว')
  t.same(at({ 'a/b~c': 1 }), ['/a~1b~0c'], 'property names are escaped in pointers (RFC 6901)')
})

t.test('rules beyond the schema: unique recipients, copies, attachment ids', async (t) => {
  const l: Record<string, unknown> = { ...letter(), recipients: [{ agency: 'mof' }, { agency: 'dga' }, { agency: 'mof' }], copyTo: [{ agency: 'dga' }, { agency: 'moi' }, { agency: 'moi' }] }
  ;(l.attachments as Array<{ id: string }>)[1]!.id = 'a1'
  t.same(problems(schemaIds.letter, l), [
    { field: '/recipients/2/agency', message: 'must not repeat recipient 0 (mof)' },
    { field: '/copyTo/0/agency', message: 'must not be a recipient as well (recipient 1, dga)' },
    { field: '/copyTo/2/agency', message: 'must not repeat copyTo 1 (moi)' },
    { field: '/attachments/1/id', message: 'must not repeat the id of attachment 0 (a1)' },
  ])
})

t.test('validate throws ERR_LETTER_INVALID (or the code given) with errors[] and an optional pointer prefix', async (t) => {
  const bad = { ...letter(), urgency: 'FAST', subject: '' }
  try {
    validate(schemaIds.letter, bad, undefined, '/letter')
    t.fail('should throw')
  } catch (e) {
    t.ok(isSarabanError(e))
    if (!isSarabanError(e)) return
    t.equal(e.code, 'ERR_LETTER_INVALID')
    t.equal(e.status, 422)
    t.same(e.errors, [
      { field: '/letter/subject', message: 'must not be empty' },
      { field: '/letter/urgency', message: 'must be one of NORMAL, URGENT, VERY_URGENT, MOST_URGENT' },
    ])
    t.equal(e.field, '/letter/subject')
    t.match(e.detail, /\/letter\/subject must not be empty \(and 1 more\)/)
  }
  t.throws(() => validate(schemaIds.letter, bad, 'ERR_REQUEST_INVALID'), { code: 'ERR_REQUEST_INVALID' })
  t.throws(() => validate(schemaIds.apiListQuery, { limit: 0 }), { code: 'ERR_REQUEST_INVALID' }, 'API schemas default to ERR_REQUEST_INVALID')
  t.throws(() => validate('urn:saraban:protocol:peer:v1' as never, {}), { code: 'ERR_INTERNAL' }, 'unknown ids are refused')
})

t.test('letter-create: draft without attachments manifest, sender.agency optional, files in base64', async (t) => {
  const d = draft()
  delete (d.sender as { agency?: string }).agency
  const body = { letter: d, attachments: [{ filename: 'หนังสือเชิญประชุม.pdf', mediaType: 'application/pdf', content: Buffer.from('%PDF-1.7').toString('base64') }] }
  t.same(problems(schemaIds.apiLetterCreate, body), [])
  t.equal((body.letter as { urgency?: string }).urgency, 'NORMAL', 'default filled in the draft')
  t.same(problems(schemaIds.apiLetterCreate, { letter: { ...draft(), attachments: [] } }), [{ field: '/letter/attachments', message: 'is not an allowed property' }], 'the manifest is built by the node')
  t.same(problems(schemaIds.apiLetterCreate, { letter: draft(), attachments: [{ filename: 'a.pdf', mediaType: 'application/pdf', content: 'QUJD\nREVG' }] }), [
    { field: '/attachments/0/content', message: 'must be standard base64 (RFC 4648 §4, with padding, no line breaks)' },
  ])
  t.same(problems(schemaIds.apiLetterCreate, { letter: draft(), attachments: [{ filename: 'a.pdf', mediaType: 'application/pdf', content: 'QUJDRA' }] }), [
    { field: '/attachments/0/content', message: 'must be standard base64 (RFC 4648 §4, with padding, no line breaks)' },
  ], 'unpadded')
  t.same(fields(check(schemaIds.apiLetterCreate, { letter: { ...draft(), kind: 'DIRECTIVE' } })), ['/letter/subKind'], 'kind rules apply to drafts')
  t.same(problems(schemaIds.apiLetterCreate, {}), [{ field: '/letter', message: 'is required' }])
  t.same(problems(schemaIds.apiLetterCreate, { letter: { ...draft(), recipients: [{ agency: 'mof' }, { agency: 'mof' }] } }), [
    { field: '/letter/recipients/1/agency', message: 'must not repeat recipient 0 (mof)' },
  ])
})

t.test('problem details (RFC 9457)', async (t) => {
  const p = { type: 'urn:saraban:problem:ERR_LETTER_INVALID', title: 'The letter does not match the letter schema', status: 422, code: 'ERR_LETTER_INVALID', detail: 'x', instance: '/api/v1/letters', field: '/letter/subject', errors: [{ field: '/letter/subject', message: 'must not be empty' }] }
  t.same(problems(schemaIds.apiProblem, p), [])
  t.same(fields(check(schemaIds.apiProblem, { ...p, code: 'bad', status: 99 })), ['/status', '/code'])
})

t.test('directory payload: open for unknown members, agency ids unique', async (t) => {
  const agency = {
    id: 'moi', nameTh: 'กระทรวงมหาดไทย', nameEn: 'Ministry of Interior', ecms: { ministry: '15', department: '00000' },
    endpoints: ['https://saraban.moi.example:8443'], certificates: { tls: ['MIIB'], signing: ['MIIB'], encryption: ['MIIB'] },
    profiles: ['jose-v1'], status: 'active', futureField: 1,
  }
  const doc = { version: 1, serial: 7, issuedAt: '2026-11-25T00:00:00Z', nextUpdate: '2026-12-25T00:00:00Z', agencies: [agency], future: true }
  t.same(problems(schemaIds.directory, doc), [], 'PROTOCOL.md §11: unknown members are ignored')
  t.same(problems(schemaIds.directory, { ...doc, agencies: [agency, agency] }), [{ field: '/agencies/1/id', message: 'must not repeat the id of item 0 (moi)' }])
  t.same(fields(check(schemaIds.directory, { ...doc, agencies: [{ ...agency, endpoints: ['http://x'], ecms: { ministry: '1', department: '00000' } }] })), [
    '/agencies/0/ecms/ministry', '/agencies/0/endpoints/0',
  ])
})
