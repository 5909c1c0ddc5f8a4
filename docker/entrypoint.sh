#!/bin/sh
# The image's entry (issue 17 item 8): before `saraban-node` runs, every file and folder under the
# mounted config folder must be readable, and the data folder writable, by the user the container runs
# as (the image's `node` user, uid 1000). Keys made by `init` or `dev-certs` are 0600 and owned by
# whoever ran the command, so a mount from the host usually needs `chown -R 1000`. When something is
# wrong this says, in one sentence, which file, which uid must read it and the command that fixes it,
# and exits 4 (configuration, src/cli/exit-codes.ts) instead of a stack trace.
set -eu
CONFIG_DIR="${SARABAN_CONFIG_DIR:-/config}"
DATA_DIR="${SARABAN_DATA_DIR:-/data}"
MAIN="$(dirname "$0")/../dist/src/main.js"
uid="$(id -u)"

# The folder of the --config file too, wherever it is mounted (e.g. /app/certs-dev/moi in compose).
config_file=""
prev=""
for a in "$@"; do
  [ "$prev" = "--config" ] && config_file="$a"
  prev="$a"
done
for dir in "$CONFIG_DIR" ${config_file:+"$(dirname "$config_file")"}; do
  [ -d "$dir" ] || continue
  bad="$(find "$dir" \( \( -type f ! -readable \) -o \( -type d \( ! -readable -o ! -executable \) \) \) -print -quit 2>/dev/null || true)"
  if [ -n "$bad" ]; then
    echo "saraban-node: $bad (owned by uid $(stat -c %u "$bad"), mode $(stat -c %a "$bad")) cannot be read by uid $uid, the user this container runs as; on the host run \`chown -R $uid <the folder mounted at $dir>\` (private keys stay mode 0600)." >&2
    exit 4
  fi
done
if [ -d "$DATA_DIR" ] && ! { [ -w "$DATA_DIR" ] && [ -x "$DATA_DIR" ]; }; then
  echo "saraban-node: the data folder $DATA_DIR (owned by uid $(stat -c %u "$DATA_DIR"), mode $(stat -c %a "$DATA_DIR")) is not writable by uid $uid, the user this container runs as; run \`chown -R $uid <the volume or host folder mounted at $DATA_DIR>\`." >&2
  exit 4
fi
exec node "$MAIN" "$@"
