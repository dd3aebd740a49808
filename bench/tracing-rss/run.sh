#!/usr/bin/env bash
# RSS of `vigie agent` with tracing off (no OTLP endpoint: the OTel SDK is never imported) and
# on (OTEL_EXPORTER_OTLP_ENDPOINT set), side by side in one run.
#   bash bench/tracing-rss/run.sh [--runs N] [--out FILE]
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=3; out=""
while [ $# -gt 0 ]; do case "$1" in --runs) runs=$2; shift 2;; --out) out=$2; shift 2;; *) echo "unknown $1" >&2; exit 2;; esac; done
npx tsc -p tsconfig.build.json >&2

free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

measure() { # $1 = label, rest = env assignments
  local label=$1; shift
  local dir; dir=$(mktemp -d)
  env "$@" VIGIE_NATS_URL="nats://127.0.0.1:$(free_port)" VIGIE_DATA_DIR="$dir" VIGIE_AGENT_LISTEN="127.0.0.1:0" VIGIE_INTERVAL=1s VIGIE_LOG_LEVEL=silent \
    node dist/cli/main.js agent & local pid=$!
  sleep 8
  local rss; rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
  local ticks; ticks=$(awk '{print $14+$15}' "/proc/$pid/stat")
  kill -INT "$pid"; wait "$pid" 2>/dev/null || true; rm -rf "$dir"
  echo "| $label | $((rss / 1024)) MB | $((ticks * 10)) ms |"
}

{
  echo "# Agent RSS with tracing off and on"
  echo
  echo "Command: \`bash bench/tracing-rss/run.sh --runs $runs\` ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, node $(node -v))."
  echo "Agent sampling every 1 s for 8 s with NATS unreachable (spooling); RSS from /proc/PID/status, CPU (start-up + 8 cycles) from /proc/PID/stat."
  echo
  echo "| tracing | RSS | CPU |"
  echo "|---|---|---|"
  for _ in $(seq 1 "$runs"); do
    measure "off (no endpoint)"
    measure "on (OTLP endpoint set)" OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$(free_port)"
  done
} | tee ${out:+"$out"}
