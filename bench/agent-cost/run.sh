#!/usr/bin/env bash
# Compiles the agent-cost bench (and what it imports) with the project's TypeScript, then runs it.
# Usage: bash bench/agent-cost/run.sh [--cycles N] [--only host,node-exporter] [--out FILE]
set -euo pipefail
cd "$(dirname "$0")/../.."
npx tsc -p bench/agent-cost/tsconfig.json
exec node --expose-gc dist/bench-agent-cost/bench/agent-cost/run.js --command "bash bench/agent-cost/run.sh $*" "$@"
