// The part of an evidence bundle's README.txt about the transparency logs (PROTOCOL.md §20.7): how an
// auditor checks each inclusion proof with SHA-256 alone (RFC 9162 §2.1.3.2, a dozen lines of
// python3 hashlib, and openssl for the leaf hash), derived from the manifest like the rest of it.
import type { ManifestMessage, ManifestNotice } from './manifest.js'

/** The auditor's inclusion-proof checker: INDEX SIZE ENTRY PROOF CHECKPOINT → OK or FAILED (exit 1). */
export const INCLUSION_CHECKER = `import base64, hashlib, sys
index, size = int(sys.argv[1]), int(sys.argv[2])
entry, proof = open(sys.argv[3], 'rb').read(), open(sys.argv[4]).read().split()
payload = open(sys.argv[5]).read().strip().split('.')[1]            # the checkpoint is a compact JWS
origin, n, root, time = base64.urlsafe_b64decode(payload + '=' * (-len(payload) % 4)).decode().splitlines()
h = hashlib.sha256(b'\\x00' + entry).digest()                         # leaf hash, RFC 9162 section 2.1.1
fn, sn = index, size - 1                                             # RFC 9162 section 2.1.3.2
for p in map(bytes.fromhex, proof):
    if sn == 0: sys.exit('FAILED: the proof is longer than the tree is deep')
    if fn % 2 == 1 or fn == sn:
        h = hashlib.sha256(b'\\x01' + p + h).digest()
        while fn % 2 == 0 and fn != 0: fn, sn = fn // 2, sn // 2
    else:
        h = hashlib.sha256(b'\\x01' + h + p).digest()
    fn, sn = fn // 2, sn // 2
ok = sn == 0 and int(n) == size and base64.b64decode(root) == h
print('OK' if ok else 'FAILED', sys.argv[3], 'is entry', index, 'of', origin, 'size', n, 'root', root, time)
sys.exit(0 if ok else 1)
`

/** The log section; notices (PROTOCOL.md §18.6) list their receipt's proof after the messages. */
export function logReadme(messages: readonly ManifestMessage[], notices: readonly ManifestNotice[] = []): string[] {
  const entries = [
    ...messages.map((m) => ({ ...m, head: `message ${m.messageId} to "${m.recipient}":` })),
    ...notices.map((n) => ({ log: n.log, logGaps: n.logGaps, head: `notice ${n.messageId} (${n.type}) to "${n.to}":` })),
  ]
  const withLog = entries.filter((m) => (m.log?.length ?? 0) + (m.logGaps?.length ?? 0) > 0)
  if (withLog.length === 0) return []
  const first = withLog.flatMap((m) => m.log ?? [])[0]?.entry
  const out: string[] = [
    `== transparency logs (PROTOCOL.md §20.7)`,
    ``,
    `Each event of a letter envelope is an entry (canonical JSON, *.entry) in the log of an agency: sent and`,
    `delivered in the sender's, received in the recipient's (that entry is exactly the receipt's claims, so`,
    `it can be rebuilt from the receipt). An inclusion proof (*.proof, one hex hash per line) leads from the`,
    `entry's leaf hash, SHA-256(0x00 || entry), through SHA-256(0x01 || left || right) at each level, to the`,
    `root that a checkpoint (checkpoints/*.jws, a compact JWS signed by that agency) states for the tree`,
    `of that size. Only SHA-256 is needed.`,
    ...(first === undefined ? [] : [`A leaf hash with openssl, for example:`, `  { printf '\\000'; cat ${first}; } | openssl dgst -sha256`]),
    `Save the checker below as log-inclusion.py (python3 standard library only):`,
    ``,
    `cat > log-inclusion.py <<'EOF'`,
    ...INCLUSION_CHECKER.trimEnd().split('\n'),
    `EOF`,
    ``,
    `then check each proof (each prints OK, or FAILED and exits 1):`,
  ]
  for (const m of withLog) {
    out.push(``, m.head)
    for (const p of m.log ?? []) {
      out.push(`  python3 log-inclusion.py ${p.index} ${p.size} ${p.entry} ${p.proof} ${p.checkpoint}   # ${p.type}, log of "${p.log}"`)
    }
    for (const g of m.logGaps ?? []) out.push(`  ${g.type} in the log of "${g.log}": no proof in this bundle (${g.reason})`)
  }
  out.push(
    ``,
    `What this does not show, and saraban-node verify-evidence does: that the checkpoint's signature is`,
    `the agency's (read its payload with: cut -d. -f2 CHECKPOINT | tr '_-' '/+' | base64 -d 2>/dev/null),`,
    `that each entry names this bundle's envelope and receipt, and that the received entry is the one the`,
    `receipt's claims give and the checkpoint the one the receipt carries.`,
    ``,
  )
  return out
}
