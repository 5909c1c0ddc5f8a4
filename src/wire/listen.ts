// AppContext.listen(): bind both listeners, then start the workers and the refreshing sources. Each
// thing started pushes its closer here, after those of construction, so close() stops it first.
import type { DeliveryWorker } from '../services/delivery/worker.js'
import type { DirectorySource } from '../services/sources/directory-source.js'
import type { CrlSources } from '../services/sources/crl-source.js'
import type { Events } from '../services/events/index.js'
import type { NoticeDeps } from '../services/notices/deps.js'
import { resumeNotices } from '../services/notices/seal-notice.js'
import type { Timestamping } from '../services/timestamping.js'
import type { Base } from './base.js'
import type { Servers } from './servers.js'

import type { LogWitness } from './witness.js'

export interface ListenParts extends Servers {
  readonly events: Events
  readonly delivery: DeliveryWorker
  readonly noticeDeps: NoticeDeps
  readonly directorySource: DirectorySource
  readonly crlSources: CrlSources
  readonly timestamps: Timestamping
  readonly logWitness: LogWitness
}

export async function listen({ config, log, closers }: Base, p: ListenParts): Promise<{ federationUrl: string; apiUrl: string }> {
  const { federation, api, advertised, events, delivery, noticeDeps, directorySource, crlSources, timestamps } = p
  await federation.listen({ host: config.federation.host, port: config.federation.port })
  closers.push(() => federation.close())
  await api.listen({ host: config.api.host, port: config.api.port })
  closers.push(() => api.close())
  const fa = federation.server.address()
  // Streams end (preClose of the API) before the listeners close; the worker stops with them.
  await events.start()
  closers.push(() => events.stop())
  const aa = api.server.address()
  advertised.federationUrl = `https://${config.federation.host}:${typeof fa === 'object' && fa ? fa.port : config.federation.port}`
  delivery.start()
  closers.push(() => delivery.stop(config.delivery.shutdownGraceMs)) // issue 17 item 8: bounded drain
  // Notices recorded but not sealed (a crash, or no usable certificate then) are sealed now and every minute.
  void resumeNotices(noticeDeps)
  const noticeTimer = setInterval(() => void resumeNotices(noticeDeps), 60_000)
  noticeTimer.unref()
  closers.push(() => clearInterval(noticeTimer))
  // A fresh directory resumes deliveries paused by a stale one.
  directorySource.onUpdate(() => delivery.notify())
  directorySource.start()
  crlSources.start()
  timestamps.start()
  p.logWitness.start()
  if (!timestamps.enabled) log.info({ event: 'timestamp.off' }, 'time-stamping is off (no tsa.url in the configuration)')
  return { federationUrl: advertised.federationUrl, apiUrl: `http://${config.api.host}:${typeof aa === 'object' && aa ? aa.port : config.api.port}` }
}
