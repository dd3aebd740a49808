#!/usr/bin/env bash
# Builds Vigie's test images from this machine's own files, without a registry (none is reachable).
# Idempotent: an image that exists is left alone.
#
#   scripts/images.sh [busybox] [node-base]
#     busybox    vigie-test/busybox:1   busybox-static with its applets: sh, sleep, httpd, …
#     node-base  vigie-test/node-base:20  /usr/bin/node and the libraries ldd lists, plus busybox
set -euo pipefail

BUSYBOX_IMAGE=vigie-test/busybox:1
NODE_IMAGE=vigie-test/node-base:20

say() { echo "images.sh: $*" >&2; }
have() { docker image inspect "$1" >/dev/null 2>&1; }

# busybox-static conflicts with (and replaces) the dynamic busybox, so once the package is
# installed /bin/busybox runs in an image without libraries.
ensure_busybox_static() {
  if ! dpkg -s busybox-static >/dev/null 2>&1; then
    say "installing busybox-static (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq busybox-static >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq busybox-static >/dev/null; }
  fi
  echo /bin/busybox
}

busybox_root() {
  local root=$1 bb
  bb=$(ensure_busybox_static)
  mkdir -p "$root/bin" "$root/tmp" "$root/etc"
  chmod 1777 "$root/tmp"
  cp "$bb" "$root/bin/busybox"
  # Relative links (`busybox --install -s` would write absolute host paths).
  local applet
  for applet in $("$root/bin/busybox" --list); do
    [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nvigie:x:1000:1000:vigie:/tmp:/bin/sh\n' >"$root/etc/passwd"
  printf 'root:x:0:\nvigie:x:1000:\n' >"$root/etc/group"
}

build_busybox() {
  if have "$BUSYBOX_IMAGE"; then return; fi
  local root; root=$(mktemp -d)
  busybox_root "$root"
  say "importing $BUSYBOX_IMAGE"
  tar -C "$root" -c . | docker import -c 'ENV PATH=/bin' -c 'CMD ["sh"]' - "$BUSYBOX_IMAGE" >/dev/null
  rm -rf "$root"
}

build_node_base() {
  if have "$NODE_IMAGE"; then return; fi
  local root lib; root=$(mktemp -d)
  busybox_root "$root"
  mkdir -p "$root/usr/bin"
  cp /usr/bin/node "$root/usr/bin/node"
  for lib in $(ldd /usr/bin/node | grep -o '/[^ ]*'); do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
  say "importing $NODE_IMAGE"
  tar -C "$root" -c . | docker import -c 'ENV PATH=/usr/bin:/bin' -c 'CMD ["node"]' - "$NODE_IMAGE" >/dev/null
  rm -rf "$root"
}

for image in "${@:-busybox}"; do
  case "$image" in
    busybox) build_busybox ;;
    node-base) build_node_base ;;
    *) say "unknown image '$image' (busybox | node-base)"; exit 2 ;;
  esac
done
