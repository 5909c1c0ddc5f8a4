// Why a backup or restore failed (issue 17 item 3): each kind is one sentence that says what to do.
// The CLI prints it with its exit code (src/cli/backup.ts); the node's schedule logs it. Damage and
// tampering say the same thing on purpose: either way the backup cannot be used.
export type BackupFailure = 'damaged' | 'unsupported' | 'newer-schema' | 'not-empty' | 'needs-key' | 'wrong-key' | 'untrusted'

const TODO: Record<BackupFailure, string> = {
  damaged: 'this backup was changed or damaged; use another backup',
  unsupported: 'this file is not a backup this saraban-node can read; check the file, or restore with the saraban-node version that made it',
  'newer-schema': 'this backup was made by a newer saraban-node; restore it with that version or a newer one',
  'not-empty': 'restore only into an empty or new data directory: move its files away or give another --data-dir',
  'needs-key': 'this backup is encrypted: give the private key that belongs to the backup.recipient certificate with --key FILE',
  'wrong-key': 'this backup is encrypted to another key: give the private key that belongs to the backup.recipient certificate it was made for',
  untrusted: "this backup was not signed by a node of the federation named by --config (its TLS certificate does not chain to that config's trust anchors); use a backup your node made",
}

export class BackupError extends Error {
  constructor(readonly kind: BackupFailure, readonly detail: string, readonly subject = '') {
    super(`${subject === '' ? '' : `${subject}: `}${TODO[kind]} (${detail}).`)
  }
}
