// The agencies this node hosts and their register books (README "Hosting", "Registers"): the books
// number with each agency's owner code and name it as the directory does.
import type { Directory } from '../pki/directory.js'
import { HostedAgencies } from '../services/hosting/agencies.js'
import { Registers } from '../services/registers.js'
import { RegisterStore } from '../storage/registers.js'
import type { Db } from '../storage/db.js'
import type { Base } from './base.js'

export interface Agencies {
  readonly hosted: HostedAgencies
  /** Register books and numbering (README "Registers"); writers run inside db.write(). */
  readonly registers: Registers
}

export function wireAgencies({ config, clock, closers }: Base, { db, currentDirectory }: { db: Db; currentDirectory: () => Directory }): Agencies {
  const hosted = HostedAgencies.load(config.agencies, { now: () => clock.now(), directory: currentDirectory })
  closers.push(() => hosted.close()) // token sessions (issue 12 §1)
  const registers = new Registers({
    store: new RegisterStore(db),
    books: config.registers.books,
    ownerCode: (agency) => hosted.get(agency)?.ownerCode,
    agencyName: (agency) => currentDirectory().agency(agency)?.nameTh ?? agency,
  })
  return { hosted, registers }
}
