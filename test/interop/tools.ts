// Independent JOSE implementations for interop tests, and the rule for when one is missing:
// with CI=true the test fails (naming the Debian package to install); elsewhere it is skipped.
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Test } from 'tap'

export interface Tool {
  name: string
  apt: string
  /** Undefined when usable, else why not. */
  missing(): string | undefined
}

function runs(cmd: string, args: string[]): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore' })
  return r.error === undefined && r.status === 0
}

export const JOSE_CLI: Tool = {
  name: 'jose (José C library CLI)',
  apt: 'jose',
  missing: () => (runs('/usr/bin/jose', ['alg']) ? undefined : '/usr/bin/jose is not installed'),
}

export const OPENSSL_CMS: Tool = {
  name: 'OpenSSL 3 (openssl cms)',
  apt: 'openssl',
  missing: () => (status('openssl', ['cms', '-help']) === 0 ? undefined : 'openssl is not installed'),
}

export const PYTHON = '/usr/bin/python3'
export const JWCRYPTO: Tool = {
  name: 'python3-jwcrypto',
  apt: 'python3-jwcrypto',
  missing: () => (runs(PYTHON, ['-c', 'import jwcrypto, cryptography']) ? undefined : `${PYTHON} cannot import jwcrypto`),
}

/**
 * true when the tool is usable. Otherwise plans the file away with the reason (outside CI) or
 * fails it (CI=true), saying which apt package to install.
 */
export function requireTool(t: Test, tool: Tool): boolean {
  const why = tool.missing()
  if (why === undefined) return true
  const msg = `${tool.name}: ${why}; install the Debian package: apt-get install ${tool.apt}`
  if (process.env['CI'] === 'true') t.fail(msg)
  else t.plan(0, msg)
  return false
}

/** Runs a command; returns stdout, or throws with its stderr. */
export function run(cmd: string, args: string[], opts: { input?: Buffer } = {}): Buffer {
  return execFileSync(cmd, args, { maxBuffer: 512 * 1024 * 1024, stdio: ['pipe', 'pipe', 'pipe'], ...(opts.input ? { input: opts.input } : {}) })
}

/** Exit status of a command that is expected to fail (0 = it did not fail). */
export function status(cmd: string, args: string[]): number | null {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status
}

export function scratchDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'saraban-interop-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** Paths of files in `dir`; given content, the file is written first. */
export function fileIn(dir: string): (name: string, content?: Buffer | string) => string {
  return (name, content) => {
    const p = join(dir, name)
    if (content !== undefined) writeFileSync(p, content)
    return p
  }
}

export const JWCRYPTO_TOOL = fileURLToPath(new URL('./jwcrypto-tool.py', import.meta.url))
