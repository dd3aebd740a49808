#!/usr/bin/env bash
# Agent and dockerd CPU per 1,000 log lines, file tailing against the API stream, on the test engine.
# Usage: bash bench/logs-parse/collect.sh [--lines 100000] [--seconds 10] [--out FILE]
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/docker.sh start >/dev/null
npx tsc -p bench/logs-parse/tsconfig.json
exec flock /tmp/vigie-docker.lock node dist/bench-logs-parse/bench/logs-parse/collect.js --command "bash bench/logs-parse/collect.sh $*" "$@"
