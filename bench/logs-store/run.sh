#!/usr/bin/env bash
# Compiles the logs-store bench (and what it imports) with the project's TypeScript, then runs it.
# Usage: bash bench/logs-store/run.sh [--records 1000000] [--db FILE] [--reuse] [--queries 20] [--out FILE]
set -euo pipefail
cd "$(dirname "$0")/../.."
npx tsc -p bench/logs-store/tsconfig.json
exec node dist/bench-logs-store/bench/logs-store/run.js --command "bash bench/logs-store/run.sh $*" "$@"
