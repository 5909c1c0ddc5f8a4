// The node's scheduled backups (issue 17 item 3, config backup.schedule): off without a schedule.
import { BackupSchedule } from '../services/backup/schedule.js'
import { backupInputFrom, recipientCertificate } from '../services/backup/from-config.js'
import { writeBackup } from '../services/backup/write.js'
import { snapshotDatabase } from '../storage/snapshot.js'
import type { Db } from '../storage/db.js'
import type { Leadership } from '../services/leadership/index.js'
import type { Base } from './base.js'

export function wireBackup({ config, clock, log, closers }: Base, { db, leadership }: { db: Db; leadership: Leadership }): BackupSchedule | undefined {
  // A recipient that cannot be used stops the start, not the first backup a day later.
  if (config.backup.recipient !== undefined) recipientCertificate(config.backup.recipient)
  const schedule = config.backup.schedule
  if (schedule === undefined) return undefined
  const backups = new BackupSchedule({
    ...schedule, clock, log: log.child({ area: 'backup' }),
    // Issue 19 item 2: one process of the node makes the backups (its lease asked for now, so the first is not delayed).
    leader: leadership.job('backup'),
    // A worker thread with its own connection copies the file (storage/snapshot.ts): the node goes on.
    make: async (out) => void (await writeBackup(backupInputFrom(config, (dest) => snapshotDatabase(db.file, dest), new Date(clock.now()), [schedule.directory]), out)),
  })
  backups.start()
  closers.push(() => backups.close())
  return backups
}
