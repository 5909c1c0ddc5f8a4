// Attachment limits of a new letter (config limits.*, issue 5 §7): POST /api/v1/letters, JSON and
// multipart/form-data, and the e-CMS gateway alike: one file, all files of a letter, and how many. A refusal is a 413
// problem (RFC 9457) whose `field` names the attachment that crossed the line.
import { SarabanError } from '../errors.js'

export interface UploadLimits {
  readonly maxApiBodyBytes: number
  readonly maxAttachmentBytes: number
  readonly maxAttachmentsTotalBytes: number
  readonly maxAttachments: number
}

/** Counts attachments as they arrive; throws ERR_PAYLOAD_TOO_LARGE at the first one over a limit. */
export class UploadBudget {
  #files = 0
  #total = 0

  constructor(readonly limits: UploadLimits) {}

  /** A new attachment at index i (0-based) starts. */
  file(i: number, name: string): void {
    this.#files++
    if (this.#files > this.limits.maxAttachments) {
      throw tooLarge(`/attachments/${i}`, `${name}: a letter may carry at most ${this.limits.maxAttachments} attachments (limits.maxAttachments).`)
    }
  }

  /** Attachment i has now `size` bytes (after n more arrived). */
  grow(i: number, name: string, size: number, n: number): void {
    this.#total += n
    if (size > this.limits.maxAttachmentBytes) {
      throw tooLarge(`/attachments/${i}`, `${name} is larger than ${this.limits.maxAttachmentBytes} bytes (limits.maxAttachmentBytes).`)
    }
    if (this.#total > this.limits.maxAttachmentsTotalBytes) {
      throw tooLarge(`/attachments/${i}`, `The attachments up to ${name} are larger than ${this.limits.maxAttachmentsTotalBytes} bytes together (limits.maxAttachmentsTotalBytes).`)
    }
  }
}

export function tooLarge(field: string, detail: string): SarabanError {
  return new SarabanError('ERR_PAYLOAD_TOO_LARGE', detail, { field })
}

/** JSON bodies: the decoded sizes (or 3/4 of the base64 text not decoded yet) against the same limits. */
export function checkJsonAttachments(limits: UploadLimits, files: ReadonlyArray<{ filename?: unknown; content?: unknown }> | undefined, decoded?: ReadonlyMap<number, Buffer>): void {
  const budget = new UploadBudget(limits)
  ;(files ?? []).forEach((f, i) => {
    const name = typeof f.filename === 'string' ? JSON.stringify(f.filename) : `attachment ${i}`
    budget.file(i, name)
    const size = decoded?.get(i)?.length ?? (typeof f.content === 'string' ? Math.floor((f.content.length * 3) / 4) : 0)
    budget.grow(i, name, size, size)
  })
}
