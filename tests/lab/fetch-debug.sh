#!/usr/bin/env bash
# Fetch the -dbg vmlinux of each lab kernel (crash and drgn need it as their oracle) with
# `apt-get download` into the lab cache, keeping only the vmlinux: "RELEASE PATH" per line.
#   tests/lab/fetch-debug.sh RELEASE...
set -euo pipefail
CACHE=${KDUMPKIT_LAB_CACHE:-/var/cache/kdumpkit-lab}
mkdir -p "$CACHE/debs" "$CACHE/debug"
for rel in "$@"; do
  out="$CACHE/debug/vmlinux-$rel"
  if [ ! -s "$out" ]; then
    pkg="linux-image-$rel-dbg"
    (cd "$CACHE/debs" && { ls "${pkg}"_*.deb >/dev/null 2>&1 ||
       apt-get download -qq -o APT::Sandbox::User=root "$pkg" >&2; })
    tmp=$(mktemp -d "$CACHE/debug/.x.XXXXXX")
    dpkg-deb --fsys-tarfile "$CACHE/debs/${pkg}"_*.deb |
      tar -x -C "$tmp" "./usr/lib/debug/boot/vmlinux-$rel"
    mv "$tmp/usr/lib/debug/boot/vmlinux-$rel" "$out"
    rm -rf "$tmp"
    rm -f "$CACHE/debs/${pkg}"_*.deb # 300 MB each; the vmlinux is all we use
  fi
  echo "$rel $out"
done
