#!/usr/bin/env bash
# Builds Vigie's image (agent and collector) from deploy/Dockerfile, without a registry or npm:
# the build context is assembled here from the compiled sources and a production node_modules.
# Idempotent: an unchanged tree gives the same image (Docker's layer cache), and the production
# node_modules is reused while package-lock.json and the Node version stay the same.
#
#   scripts/build-image.sh [--base IMAGE] [TAG]      TAG default: vigie:local
#
# Base image: --base, else node:22-bookworm-slim when it is present locally, else
# vigie-test/node-base:20 (made by scripts/images.sh from this machine's own node binary).
# better-sqlite3's native module is compiled for the host's Node: the base must run the same
# Node ABI, which is checked before building.
# Environment: VIGIE_IMAGE_CONTEXT (where the context is assembled; default $TMPDIR/vigie-image-context-<uid>).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

DEFAULT_BASE=node:22-bookworm-slim
LOCAL_BASE=vigie-test/node-base:20
say() { echo "build-image.sh: $*" >&2; }
have() { docker image inspect "$1" >/dev/null 2>&1; }

base=""
tag=""
while [ $# -gt 0 ]; do
  case "$1" in
    --base) base=${2:?--base needs an image}; shift 2 ;;
    --base=*) base=${1#--base=}; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    -*) say "unknown option $1"; exit 2 ;;
    *) tag=$1; shift ;;
  esac
done
tag=${tag:-vigie:local}

if ! docker info --format '{{.ServerVersion}}' >/dev/null 2>&1; then
  say "no Docker engine answers (scripts/docker.sh starts the local one)"; exit 1
fi
if [ ! -d node_modules ]; then
  say "node_modules is missing: run scripts/bootstrap.sh (npm ci) first"; exit 1
fi

if [ -z "$base" ]; then
  if have "$DEFAULT_BASE"; then base=$DEFAULT_BASE; else
    bash scripts/images.sh node-base
    base=$LOCAL_BASE
  fi
fi
have "$base" || { say "base image $base is not present locally"; exit 1; }

# The native module in node_modules is built for the host's Node ABI; the base must match it.
host_abi=$(node -p process.versions.modules)
base_abi=$(docker run --rm --network none --entrypoint node "$base" -p process.versions.modules 2>/dev/null || echo "?")
if [ "$host_abi" != "$base_abi" ]; then
  say "base $base runs Node ABI $base_abi but node_modules is built for $host_abi (host Node $(node --version))."
  say "Build on a host with the base's Node version, or use --base $LOCAL_BASE."
  exit 1
fi

ctx=${VIGIE_IMAGE_CONTEXT:-${TMPDIR:-/tmp}/vigie-image-context-$(id -u)}
mkdir -p "$ctx/deploy" "$ctx/data"

# Compiled sources, from scratch each time so no stale file reaches the image.
rm -rf "$ctx/dist"
say "compiling (tsc -p tsconfig.build.json)"
./node_modules/.bin/tsc -p tsconfig.build.json --outDir "$ctx/dist"

# Production node_modules: the installed tree pruned of dev dependencies (offline: no npm
# registry needed), rebuilt only when the lock file, Node or the platform change.
stamp="$(sha256sum package-lock.json | cut -d' ' -f1) node-$host_abi $(uname -m)"
if [ "$(cat "$ctx/.modules-stamp" 2>/dev/null || true)" != "$stamp" ]; then
  say "staging production node_modules"
  rm -rf "$ctx/node_modules" "$ctx/.modules-stamp"
  cp package.json package-lock.json "$ctx/"
  cp -a node_modules "$ctx/node_modules"
  (cd "$ctx" && npm prune --omit=dev --offline --no-audit --no-fund --loglevel=error >&2)
  # better-sqlite3 needs only its compiled module at run time.
  bs=$ctx/node_modules/better-sqlite3
  rm -rf "$bs/deps" "$bs/src" "$bs/build/deps" "$bs/build/Release/obj" "$bs/build/Release/obj.target" \
         "$bs/build/Release/.deps" "$bs/build/Release/test_extension.node" "$bs/build/Release/sqlite3.a"
  echo "$stamp" >"$ctx/.modules-stamp"
fi
cp package.json package-lock.json "$ctx/"
cp deploy/Dockerfile "$ctx/Dockerfile"
cp deploy/healthcheck.mjs "$ctx/deploy/healthcheck.mjs"
# The shipped alert rules, read by the collector at start-up.
rm -rf "$ctx/alerts"
mkdir -p "$ctx/alerts"
cp alerts/*.yaml "$ctx/alerts/"
printf '.modules-stamp\n' >"$ctx/.dockerignore"

version=$(node -p 'require("./package.json").version')
say "building $tag from $base"
previous=$(docker image inspect --format '{{.Id}}' "$tag" 2>/dev/null || true)
DOCKER_BUILDKIT=${DOCKER_BUILDKIT:-0} docker build -q \
  --build-arg "BASE=$base" \
  --label "org.opencontainers.image.title=vigie" \
  --label "org.opencontainers.image.version=$version" \
  -t "$tag" "$ctx" >/dev/null
current=$(docker image inspect --format '{{.Id}}' "$tag")
# The image the tag pointed to before is left without a name: removed, unless a container still uses it.
if [ -n "$previous" ] && [ "$previous" != "$current" ]; then docker image rm "$previous" >/dev/null 2>&1 || true; fi
say "built $tag ($(echo "$current" | cut -c8-19))"
echo "$tag"
