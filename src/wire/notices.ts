// Notices (PROTOCOL.md §18): registered/rejected/withdrawn acts, sealed into the same outbox.
import type { DeliveryWorker } from '../services/delivery/worker.js'
import type { Events } from '../services/events/index.js'
import type { NoticeDeps } from '../services/notices/deps.js'
import type { Registers } from '../services/registers.js'
import type { Timestamping } from '../services/timestamping.js'
import { NoticeStore } from '../storage/notices.js'
import type { Base } from './base.js'
import type { SealingParts } from '../services/sealing-deps.js'

export interface Notices {
  readonly notices: NoticeStore
  /** what the notice acts need: the API's acts, and resumeNotices() once listening */
  readonly noticeDeps: NoticeDeps
}

export interface NoticeParts extends SealingParts {
  readonly delivery: DeliveryWorker
  readonly registers: Registers
  readonly timestamps: Timestamping
  readonly events: Events
}

export function wireNotices({ clock, log }: Base, p: NoticeParts): Notices {
  const notices = new NoticeStore(p.db)
  const noticeDeps: NoticeDeps = {
    clock, log: log.child({ area: 'notices' }), db: p.db, outbox: p.outbox, notices, anchors: p.anchors, directory: p.currentDirectory, profiles: p.profiles, hosted: p.hosted, envelopes: p.envelopes,
    onQueued: () => p.delivery.notify(), registers: p.registers, timestamps: p.timestamps, events: p.events.sink, checkpoint: p.checkpoint,
  }
  return { notices, noticeDeps }
}
