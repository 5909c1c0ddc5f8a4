// What every wiring helper in src/wire/ gets from createContext (src/context.ts, the one composition
// root, house style §8). The helpers are part of that root: only src/context.ts calls them.
import type { Config } from '../config/index.js'
import type { Clock } from '../clock.js'
import type { Logger } from '../log.js'

/** Releases one resource; createContext's close() runs them in reverse order of push. */
export type Closer = () => Promise<void> | void

export interface Base {
  readonly config: Config
  readonly clock: Clock
  readonly log: Logger
  /** ContextOverrides.random, when a test pins it */
  readonly random: (() => number) | undefined
  /** Pushed as each resource is created, so that close() can run them in reverse. */
  readonly closers: Closer[]
}
