#!/usr/bin/env bash
# Fetch the lab's Debian kernels (image + headers) with `apt-get download` into a cache outside
# the repository and unpack them there. Prints one line per kernel: "RELEASE DIR".
#   6.1 : the dependency of linux-image-cloud-amd64 (Debian's current 6.1 cloud kernel)
#   6.12: the newest linux-image-6.12.*+deb12-cloud-amd64
# Headers are unpacked, not installed, so nothing is added to the host's /usr/src or /boot; their
# absolute symlinks (into /usr/lib/linux-kbuild-*, /usr/src/...) are rewritten into the cache.
set -euo pipefail
CACHE=${KDUMPKIT_LAB_CACHE:-/var/cache/kdumpkit-lab}
mkdir -p "$CACHE/debs"

have_lists() { apt-cache show linux-image-cloud-amd64 >/dev/null 2>&1; }
have_lists || apt-get update -qq >/dev/null

deps_of() { # package -> its Depends that are linux-headers-* or linux-kbuild-*
  apt-cache depends "$1" | awk '/^ *\|?Depends: linux-(headers|kbuild)-/ {print $2}'
}

release_61() {
  apt-cache depends linux-image-cloud-amd64 | awk '/Depends: linux-image-/ {sub("linux-image-","",$2); print $2; exit}'
}
release_612() {
  apt-cache search --names-only '^linux-image-6\.12\.[0-9]+\+deb12-cloud-amd64$' | awk '{print $1}' |
    sed 's/^linux-image-//' | sort -V | tail -n 1
}

fetch_one() {
  local rel=$1 dir="$CACHE/$1"
  if [ -f "$dir/.complete" ]; then echo "$rel $dir"; return; fi
  local pkgs=("linux-image-$rel" "linux-headers-$rel")
  local d; for d in $(deps_of "linux-headers-$rel"); do pkgs+=("$d"); done
  (cd "$CACHE/debs" && for p in "${pkgs[@]}"; do
       ls "${p}"_*.deb >/dev/null 2>&1 || apt-get download -qq -o APT::Sandbox::User=root "$p" >&2; done)
  rm -rf "$dir.tmp"; mkdir -p "$dir.tmp/root"
  local p f
  for p in "${pkgs[@]}"; do
    for f in "$CACHE/debs/${p}"_*.deb; do dpkg-deb -x "$f" "$dir.tmp/root"; done
  done
  # Rewrite absolute symlinks so the headers tree works from inside the cache.
  find "$dir.tmp/root" -type l | while read -r l; do
    t=$(readlink "$l"); case "$t" in /*) ln -sfn "$dir/root$t" "$l" ;; esac
  done
  # The arch headers' Makefile includes the common tree by absolute path.
  sed -i "s#^include /usr/src/#include $dir/root/usr/src/#" "$dir.tmp/root/usr/src/linux-headers-$rel/Makefile"
  cp "$dir.tmp/root/boot/vmlinuz-$rel" "$dir.tmp/vmlinuz"
  cp "$dir.tmp/root/boot/config-$rel" "$dir.tmp/config"
  rm -rf "$dir"; mv "$dir.tmp" "$dir"
  # the symlinks were written against the final path; mv kept them pointing there
  touch "$dir/.complete"
  echo "$rel $dir"
}

want=${1:-all}
case "$want" in
  6.1)  fetch_one "$(release_61)" ;;
  6.12) fetch_one "$(release_612)" ;;
  all)  fetch_one "$(release_61)"; fetch_one "$(release_612)" ;;
  *) echo "usage: $0 [6.1|6.12|all]" >&2; exit 2 ;;
esac
