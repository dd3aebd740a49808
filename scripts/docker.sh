#!/usr/bin/env bash
# The local Docker engine Vigie's tests run on: one dockerd in a one-node swarm, images built
# without a registry. Idempotent: does nothing that is already done.
#
#   scripts/docker.sh [start]   start dockerd if none answers, join a one-node swarm, build the test images
#   scripts/docker.sh stop      stop the dockerd this script started (its containers stop with it)
#   scripts/docker.sh restart   stop, then start
#   scripts/docker.sh status    exit 0 when the engine answers
#
# What it does to a machine's own engine: if a dockerd already answers on DOCKER_HOST (default
# /var/run/docker.sock) that this script did not start — a systemd-managed one, say — it is used
# as it is: never stopped, restarted or given other flags, and its swarm is never left or
# re-created. Such an engine must already be a swarm manager, or be allowed to become one with
# VIGIE_TEST_SWARM_INIT=1 (the swarm it then creates is recorded as the tests' own). `stop` and
# `restart` act only on the dockerd this script started, known by its own pid file.
#
# The engine runs without iptables, masquerading or default bridge (tests send traffic to loopback addresses only):
# test containers use host networking and talk to 127.0.0.1 only.
# Environment: VIGIE_DOCKERD_LOG (default /var/log/vigie-dockerd.log),
#              VIGIE_TEST_IMAGES (default "busybox"; add "node-base" for the node base image).
set -euo pipefail
cd "$(dirname "$0")/.."

LOG=${VIGIE_DOCKERD_LOG:-/var/log/vigie-dockerd.log}
# The script's own pid file: the only dockerd it ever stops is the one named there.
PIDFILE=${VIGIE_DOCKERD_PIDFILE:-/var/run/vigie-dockerd.pid}
# Where the script records the swarm it created (the only one it may leave and re-create).
STATE_DIR=${VIGIE_TEST_STATE_DIR:-/var/lib/vigie-test}
START_TIMEOUT=${VIGIE_DOCKERD_TIMEOUT:-60}

say() { echo "docker.sh: $*" >&2; }
answers() { timeout 10 docker info --format '{{.ServerVersion}}' >/dev/null 2>&1; }

need_root() {
  if [ "$(id -u)" != 0 ]; then say "must run as root (it starts dockerd)"; exit 1; fi
}

# A process that exists and is not a zombie (a dockerd killed hard, whose parent has not reaped
# it yet, still has its /proc entry and its pid file).
alive() {
  local state
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "$state" != Z ]
}

dockerd_pid() {
  local pid
  if [ -f "$PIDFILE" ]; then
    pid=$(cat "$PIDFILE" 2>/dev/null || true)
    if [ -n "$pid" ] && alive "$pid" && grep -q dockerd "/proc/$pid/comm" 2>/dev/null; then echo "$pid"; return 0; fi
  fi
  return 1
}

remove_stale_pidfile() {
  local pid
  [ -f "$1" ] || return 0
  pid=$(cat "$1" 2>/dev/null || true)
  if [ -z "$pid" ] || ! alive "$pid"; then rm -f "$1"; fi
}

start_engine() {
  if answers; then return 0; fi
  if [ -n "${DOCKER_HOST:-}" ] && [ "$DOCKER_HOST" != unix:///var/run/docker.sock ]; then
    say "no engine answers at DOCKER_HOST=$DOCKER_HOST; start it first (this script starts one only on /var/run/docker.sock)"; exit 1
  fi
  need_root
  if ! command -v dockerd >/dev/null 2>&1; then
    say "dockerd is not installed (run scripts/bootstrap.sh: Debian package docker.io)"; exit 1
  fi
  local started=""
  if ! dockerd_pid >/dev/null; then
    # A dockerd (and its containerd) killed hard leave pid files behind; while the dead process
    # is an unreaped zombie, dockerd takes its pid file for a running daemon and refuses to start.
    remove_stale_pidfile "$PIDFILE"
    remove_stale_pidfile /var/run/docker/containerd/containerd.pid
    mkdir -p "$(dirname "$LOG")"
    say "starting dockerd (log: $LOG)"
    # setsid + every descriptor redirected: the engine outlives this script and whoever ran it.
    setsid dockerd --pidfile "$PIDFILE" --iptables=false --ip-masq=false --bridge=none >>"$LOG" 2>&1 </dev/null &
    started=$!
  fi
  local waited=0
  until answers; do
    if [ -n "$started" ] && ! alive "$started"; then
      say "dockerd exited while starting; last lines of $LOG:"; tail -n 30 "$LOG" >&2 || true; exit 1
    fi
    sleep 0.5; waited=$((waited + 1))
    if [ $waited -ge $((START_TIMEOUT * 2)) ]; then
      say "dockerd did not answer within ${START_TIMEOUT}s; last lines of $LOG:"; tail -n 30 "$LOG" >&2 || true; exit 1
    fi
  done
}

swarm_node_id() { docker info --format '{{.Swarm.NodeID}}' 2>/dev/null || true; }

# The swarm this script created, recorded by its node id; any other swarm is the machine's own.
ours() { [ -n "$1" ] && [ -f "$STATE_DIR/swarm-node-id" ] && [ "$(cat "$STATE_DIR/swarm-node-id")" = "$1" ]; }

init_swarm() {
  docker swarm init --advertise-addr 127.0.0.1 >/dev/null
  mkdir -p "$STATE_DIR"
  swarm_node_id >"$STATE_DIR/swarm-node-id"
}

ensure_swarm() {
  local state
  state=$(docker info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null || echo unknown)
  case "$state" in
    active)
      if [ "$(docker info --format '{{.Swarm.ControlAvailable}}' 2>/dev/null)" != true ]; then
        say "this engine is a swarm worker; the tests need a manager (run them against a disposable engine)"; exit 1
      fi ;;
    inactive)
      if ! dockerd_pid >/dev/null && [ "${VIGIE_TEST_SWARM_INIT:-0}" != 1 ]; then
        say "the engine on ${DOCKER_HOST:-/var/run/docker.sock} was not started by this script and is not in a swarm;"
        say "the tests need one: set VIGIE_TEST_SWARM_INIT=1 to let them create it, or use a disposable engine"
        exit 1
      fi
      say "initializing a one-node swarm"
      init_swarm ;;
    *)
      # pending/error/locked: unusable for tests. Only a swarm this script made may be replaced.
      local id
      id=$(swarm_node_id)
      if ! ours "$id"; then
        say "the engine's swarm is '$state' and was not created by this script; not touching it"; exit 1
      fi
      say "swarm state '$state': starting a fresh one-node swarm"
      docker swarm leave --force >/dev/null 2>&1 || true
      init_swarm ;;
  esac
  # Right after init (or a daemon restart) the node may not accept services yet.
  local i
  for i in $(seq 1 40); do
    if [ "$(docker info --format '{{.Swarm.ControlAvailable}}' 2>/dev/null)" = true ] && docker node ls >/dev/null 2>&1; then return 0; fi
    sleep 0.25
  done
  say "swarm manager not ready"; exit 1
}

stop_engine() {
  local pid
  if ! pid=$(dockerd_pid); then
    if answers; then say "the dockerd that answers was not started by this script (no $PIDFILE); not stopping it"; exit 1; fi
    return 0
  fi
  need_root
  say "stopping dockerd ($pid)"
  kill -TERM "$pid"
  local waited=0
  while alive "$pid"; do
    sleep 0.2; waited=$((waited + 1))
    if [ $waited -ge 150 ]; then say "dockerd did not stop in 30s; killing it"; kill -KILL "$pid" 2>/dev/null || true; fi
  done
}

cmd=${1:-start}
case "$cmd" in
  start)
    start_engine
    ensure_swarm
    bash scripts/images.sh ${VIGIE_TEST_IMAGES:-busybox}
    ;;
  stop) stop_engine ;;
  restart)
    stop_engine
    start_engine
    ensure_swarm
    ;;
  status) answers ;;
  *) say "unknown command '$cmd' (start | stop | restart | status)"; exit 2 ;;
esac
