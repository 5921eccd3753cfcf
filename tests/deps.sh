#!/usr/bin/env bash
# Install what building and testing kdumpkit needs, with apt-get, only when something is missing.
#   tests/deps.sh          build + unit tests + sanitizers + lab
#   tests/deps.sh build    only what building needs
set -euo pipefail
build_pkgs=(meson ninja-build pkg-config gcc g++ zlib1g-dev libdeflate-dev liblzo2-dev libsnappy-dev libzstd-dev liblzma-dev libblkid-dev
            file)
test_pkgs=(clang libclang-rt-14-dev
          qemu-system-x86 ovmf busybox-static kexec-tools e2fsprogs make bc xz-utils zstd python3 libelf1
          crash makedumpfile python3-drgn time  # the oracles the lab checks our dumps with
          xfsprogs cpio mmdebstrap)  # unit tests make xfs images; the system lab builds a bookworm root
want=("${build_pkgs[@]}")
[ "${1:-all}" = build ] || want+=("${test_pkgs[@]}")
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "deps: installing ${missing[*]}" >&2
SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
