#!/usr/bin/env bash
# Compiles the collector-ingest bench (and what it imports) with the project's TypeScript, then runs it.
# Usage: bash bench/collector-ingest/run.sh [--nodes 1000] [--containers 50] [--interval 10s] [--seconds 30] [--blast-rounds 2] [--scrapes 5] [--out FILE]
# BENCH_NODE_FLAGS adds V8/Node flags to the collector's process (e.g. --max-semi-space-size=64).
set -euo pipefail
cd "$(dirname "$0")/../.."
npx tsc -p bench/collector-ingest/tsconfig.json
# shellcheck disable=SC2086
exec node --expose-gc ${BENCH_NODE_FLAGS:-} dist/bench-collector-ingest/bench/collector-ingest/run.js --command "${BENCH_NODE_FLAGS:+BENCH_NODE_FLAGS=$BENCH_NODE_FLAGS }bash bench/collector-ingest/run.sh $*" "$@"
