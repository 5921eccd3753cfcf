#!/usr/bin/env bash
# Build the kdumpkit .deb with Debian's tools from a clean copy of this tree.
#   tests/package/build-deb.sh OUTDIR [--check]
# The copy holds the files git tracks or would track (not ignored), as they are in the work
# tree: uncommitted edits included, build directories not; without git, the tree minus build*/
# and obj-*/.
# Build dependencies are installed with apt-get only when missing. By default the package
# build skips the tests (DEB_BUILD_OPTIONS=nocheck: tests/run-all runs them); --check runs the
# unit suite inside the build. Prints the path of the .deb on the last line.
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 OUTDIR [--check]" >&2; exit 2; }
out=$(mkdir -p "$1" && cd "$1" && pwd)
check=${2:-}
src=$(cd "$(dirname "$0")/../.." && pwd)

need=(dpkg-dev debhelper build-essential fakeroot)
# Build-Depends from debian/control (the names only; nocheck-only ones too, they are small)
mapfile -t bdeps < <(sed -n '/^Build-Depends:/,/^[A-Z][A-Za-z-]*:/p' "$src/debian/control" |
  sed '$d; s/^Build-Depends://' | tr ',' '\n' | sed 's/[(<].*//; s/ //g' | grep -v '^$' |
  grep -v '^debhelper-compat$')
missing=()
for p in "${need[@]}" "${bdeps[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "build-deb: installing ${missing[*]}" >&2
  SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >&2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/kdumpkit-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
tree="$work/kdumpkit"
mkdir "$tree"
if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  # tracked files as they are now; a file deleted but not yet committed is left out
  (cd "$src" && git ls-files -z -co --exclude-standard | while IFS= read -r -d '' f; do
     if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi; done) |
    (cd "$src" && tar --null -T - -c) | tar -x -C "$tree"
else
  (cd "$src" && tar -c --exclude='./build*' --exclude='./obj-*' --exclude='./debian/kdumpkit' \
     --exclude='./debian/.debhelper' .) | tar -x -C "$tree"
fi

opts=${DEB_BUILD_OPTIONS:-}
[ "$check" = --check ] || opts="nocheck $opts"
log="$out/build-deb.log"
echo "build-deb: dpkg-buildpackage -b -us -uc in $tree (log: $log)" >&2
if ! (cd "$tree" && DEB_BUILD_OPTIONS="parallel=$(nproc) $opts" \
      dpkg-buildpackage -b -us -uc) >"$log" 2>&1; then
  tail -40 "$log" >&2
  echo "build-deb: dpkg-buildpackage failed (whole log: $log)" >&2
  exit 1
fi
# the .deb, the debug symbols, .changes and .buildinfo land beside the tree
cp "$work"/*.deb "$work"/*.changes "$work"/*.buildinfo "$out"/ 2>/dev/null || true
ver=$(dpkg-parsechangelog -l "$tree/debian/changelog" -S Version)
deb="$out/kdumpkit_${ver}_$(dpkg-architecture -qDEB_HOST_ARCH).deb"
[ -f "$deb" ] || { echo "build-deb: no $deb after the build" >&2; exit 1; }
echo "$deb"
