#!/usr/bin/env bash
# Installs what Vigie needs on this machine, and nothing when all is there.
#   npm packages (npm ci, from the committed lock file)
#   Debian packages: nats-server, docker.io, prometheus, prometheus-alertmanager, prometheus-node-exporter
# Idempotent and quiet when everything is present. VIGIE_BOOTSTRAP_VERBOSE=1 shows what it checks.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { if [ "${VIGIE_BOOTSTRAP_VERBOSE:-0}" = 1 ]; then echo "bootstrap: $*" >&2; fi; }

# Debian package -> the command that proves it is installed.
declare -A PKG_CMD=(
  [nats-server]=nats-server
  [docker.io]=dockerd
  [prometheus]=prometheus
  [prometheus-alertmanager]=prometheus-alertmanager
  [prometheus-node-exporter]=prometheus-node-exporter
)

missing=()
for pkg in "${!PKG_CMD[@]}"; do
  if command -v "${PKG_CMD[$pkg]}" >/dev/null 2>&1; then say "$pkg present"; else missing+=("$pkg"); fi
done

if [ ${#missing[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "bootstrap: this system has no apt-get. Install these yourself, then run again:" >&2
    echo "  nats-server (>= 2.9, with JetStream), Docker Engine (dockerd), Prometheus (prometheus, promtool), Alertmanager, node_exporter (prometheus-node-exporter, compared against in tests)" >&2
    echo "  missing here: ${missing[*]}" >&2
    exit 1
  fi
  sudo_cmd=()
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo_cmd=(sudo); else
      echo "bootstrap: not root and no sudo. As root, run: apt-get install -y ${missing[*]}" >&2
      exit 1
    fi
  fi
  echo "bootstrap: installing ${missing[*]} (apt-get)" >&2
  export DEBIAN_FRONTEND=noninteractive
  log=$(mktemp)
  if ! { "${sudo_cmd[@]}" apt-get update -qq && \
         "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
    cat "$log" >&2; rm -f "$log"
    echo "bootstrap: apt-get failed installing: ${missing[*]}" >&2
    exit 1
  fi
  rm -f "$log"
fi

# npm packages: only when the lock file's content changed since the last install (a checkout
# that merely touched the file, or a second work tree sharing node_modules, installs nothing).
stamp=node_modules/.vigie-lock-sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "bootstrap: npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
  echo "$want" >"$stamp"
else
  say "node_modules up to date"
fi
