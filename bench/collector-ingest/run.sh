#!/usr/bin/env bash
# Compiles the collector-ingest bench (and what it imports) with the project's TypeScript, then runs it.
# Usage: bash bench/collector-ingest/run.sh [--nodes 1000] [--containers 50] [--interval 10s] [--seconds 30] [--warmup-rounds 1] [--blast-rounds 2] [--out FILE]
set -euo pipefail
cd "$(dirname "$0")/../.."
npx tsc -p bench/collector-ingest/tsconfig.json
exec node --expose-gc dist/bench-collector-ingest/bench/collector-ingest/run.js --command "bash bench/collector-ingest/run.sh $*" "$@"
