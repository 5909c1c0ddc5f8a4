// The one place that gives pkijs a crypto engine: node's own WebCrypto. pkijs keeps its engine in a
// process-global slot, so this is set once, lazily (not at import time), and also passed explicitly
// to every pkijs call this package makes.
import { webcrypto } from 'node:crypto'
import * as pkijs from 'pkijs'

let engine: pkijs.CryptoEngine | undefined

export function pkijsCrypto(): pkijs.CryptoEngine {
  if (engine === undefined) {
    engine = new pkijs.CryptoEngine({ name: 'node-webcrypto', crypto: webcrypto as unknown as pkijs.CryptoEngineParameters['crypto'] })
    pkijs.setEngine('node-webcrypto', engine)
  }
  return engine
}
