#!/usr/bin/env bash
# Compiles the logs-parse bench with the project's TypeScript, then runs it on one core.
# Usage: bash bench/logs-parse/run.sh [--lines 500000] [--rounds 5] [--out FILE]
set -euo pipefail
cd "$(dirname "$0")/../.."
npx tsc -p bench/logs-parse/tsconfig.json
exec node dist/bench-logs-parse/bench/logs-parse/run.js --command "bash bench/logs-parse/run.sh $*" "$@"
