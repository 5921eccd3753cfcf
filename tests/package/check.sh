#!/usr/bin/env bash
# Checks on the kdumpkit .deb: its contents, control fields and conffiles, the units, the udev
# rule and the documented configuration, lintian, and a real dpkg install / remove / purge
# (maintainer scripts included) beside Debian's kexec-tools and makedumpfile in a scratch root:
# an overlay of this system's root in a private mount namespace, thrown away at the end.
#   tests/package/check.sh [DEB]      without DEB: build one with build-deb.sh first
# Ends with "package: N passed, N failed" (exit 1 when something failed).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
pass=0 fail=0
ok()  { echo "ok   package/$1"; pass=$((pass + 1)); }
bad() { echo "FAIL package/$1${2:+ ($2)}"; fail=$((fail + 1)); }
check() { local d=$1; shift; if "$@" >/dev/null 2>&1; then ok "$d"; else bad "$d"; fi; }
finish() { echo "package: $pass passed, $fail failed"; [ "$fail" -eq 0 ]; exit $?; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kdumpkit-check.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
if [ $# -ge 1 ]; then
  deb=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
else
  deb=$("$here/build-deb.sh" "$tmp/out" | tail -1) || { bad "build" "build-deb.sh failed"; finish; }
fi
[ -f "$deb" ] || { bad "deb" "no such file: $deb"; finish; }
missing=()
for p in lintian file; do command -v $p >/dev/null || missing+=($p); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "check: installing ${missing[*]}" >&2
  SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq >/dev/null 2>&1
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null 2>&1 || echo "check: could not install ${missing[*]}" >&2
fi

x=$tmp/x
dpkg-deb -x "$deb" "$x" && dpkg-deb -e "$deb" "$tmp/ctl" || { bad "extract" "$deb"; finish; }
field() { dpkg-deb -f "$deb" "$1"; }

# --- control ------------------------------------------------------------------------------
check "control/package-name" [ "$(field Package)" = kdumpkit ]
check "control/conflicts-kdump-tools" sh -c "dpkg-deb -f '$deb' Conflicts | grep -qw kdump-tools"
check "control/built-using-static-libs" sh -c \
  "dpkg-deb -f '$deb' Built-Using | grep -q 'glibc (= ' && dpkg-deb -f '$deb' Built-Using | grep -q 'util-linux (= '"
check "control/no-shared-library-depends" sh -c "! dpkg-deb -f '$deb' Depends | grep -q 'libc6'"
check "control/conffiles" [ "$(sort "$tmp/ctl/conffiles" | tr '\n' ' ')" = "/etc/kdump.conf /etc/sysconfig/kdump " ]
check "control/postrm-purges-state" grep -q 'rm -rf /var/lib/kdumpkit' "$tmp/ctl/postrm"

# --- contents -----------------------------------------------------------------------------
check "contents/kdumpkit-static-executable" sh -c \
  "[ -f '$x/usr/sbin/kdumpkit' ] && [ -x '$x/usr/sbin/kdumpkit' ] && file '$x/usr/sbin/kdumpkit' | grep -q 'statically linked'"
for n in kdumpctl kdump-config; do
  check "contents/$n-links-kdumpkit" [ "$(readlink "$x/usr/sbin/$n")" = kdumpkit ]
done
for n in kexec makedumpfile vmcore-dmesg report; do
  check "contents/lib-kdumpkit-bin-$n" [ "$(readlink -f "$x/usr/lib/kdumpkit/bin/$n")" = "$x/usr/sbin/kdumpkit" ]
done
onpath=$(cd "$x" && find bin sbin usr/bin usr/sbin usr/local -mindepth 1 2>/dev/null |
  grep -E '/(kexec|makedumpfile|vmcore-dmesg|report)$')
check "contents/no-tool-names-on-PATH" [ -z "$onpath" ]
check "contents/var/crash" test -d "$x/var/crash"
for f in lib/systemd/system/kdumpkit.service lib/systemd/system/kdumpkit-reload.service \
         lib/systemd/system/kdumpkit-reload.timer lib/udev/rules.d/98-kdumpkit.rules \
         etc/kdump.conf etc/sysconfig/kdump usr/share/doc/kdumpkit/examples/kdump-tools.default \
         usr/share/doc/kdumpkit/README.Debian.gz usr/share/doc/kdumpkit/copyright \
         usr/share/man/man8/kdumpctl.8.gz usr/share/man/man8/kdumpkit.8.gz \
         usr/share/man/man8/kdump-config.8.gz usr/share/man/man5/kdump.conf.5.gz; do
  check "contents/$f" [ -e "$x/$f" ]
done

# The files of kexec-tools and makedumpfile (installed ones, else their .debs) must not be
# ours, counting /bin, /sbin and /lib as the merged /usr/bin, /usr/sbin and /usr/lib they are.
norm() { sed -E 's#^/+#/#; s#^/(bin|sbin|lib)(/|$)#/usr/\1\2#; s#/$##' | grep -v '^/usr$\|^/$\|^$'; }
theirs=$tmp/theirs
: >"$theirs"
for p in kexec-tools makedumpfile; do
  if dpkg-query -W -f='${Status}' $p 2>/dev/null | grep -q "install ok installed"; then
    dpkg -L $p >>"$theirs"
  else
    (cd "$tmp" && apt-get download -q $p >/dev/null 2>&1) &&
      dpkg-deb -c "$tmp"/${p}_*.deb | awk '{print $6}' | sed 's#^\.##' >>"$theirs"
  fi
done
ours=$(dpkg-deb -c "$deb" | awk '$1 !~ /^d/ {print $6}' | sed 's#^\.##' | norm | sort -u)
clash=$(comm -12 <(printf '%s\n' "$ours") <(norm <"$theirs" | sort -u))
if [ ! -s "$theirs" ]; then bad "contents/no-file-shared-with-kexec-tools-makedumpfile" "their file lists unavailable"
elif [ -n "$clash" ]; then bad "contents/no-file-shared-with-kexec-tools-makedumpfile" "$(echo $clash)"
else ok "contents/no-file-shared-with-kexec-tools-makedumpfile"; fi

# --- units, udev rule ---------------------------------------------------------------------
u=$x/lib/systemd/system
for l in 'ExecStart=/usr/sbin/kdumpctl start' 'ExecStop=/usr/sbin/kdumpctl stop' \
         'ExecReload=/usr/sbin/kdumpctl reload' 'RemainAfterExit=yes' 'Type=oneshot' \
         'After=local-fs.target' 'ConditionKernelCommandLine=crashkernel' \
         'Conflicts=kdump-tools.service kdump.service' 'WantedBy=multi-user.target'; do
  check "unit/kdumpkit.service: $l" grep -qx "$l" "$u/kdumpkit.service"
done
check "unit/reload-timer-starts-reload-service" grep -qx 'Unit=kdumpkit-reload.service' "$u/kdumpkit-reload.timer"
check "unit/reload-service-only-when-active" grep -q 'try-reload-or-restart kdumpkit.service' "$u/kdumpkit-reload.service"
r=$x/lib/udev/rules.d/98-kdumpkit.rules
check "udev/cpu-add-remove" grep -q '^SUBSYSTEM=="cpu", ACTION=="add|remove", GOTO="kdumpkit_hotplug"' "$r"
check "udev/memory-online-offline" grep -q '^SUBSYSTEM=="memory", ACTION=="online|offline", GOTO="kdumpkit_hotplug"' "$r"
check "udev/only-when-service-active" grep -q '^PROGRAM=="/bin/systemctl -q is-active kdumpkit.service", RUN+=' "$r"
check "udev/skips-when-kernel-updates-headers" grep -q '^ATTRS{crash_hotplug}=="1", GOTO="kdumpkit_end"' "$r"
check "udev/throttled-through-timer" grep -q 'RUN+="/bin/systemctl --no-block restart kdumpkit-reload.timer"' "$r"

# The rule run by udev's own rule engine (udevadm test), where root may make a mount namespace;
# udevadm from this system, else from Debian's udev package, unpacked, not installed.
udevadm=$(command -v udevadm || true)
if [ -z "$udevadm" ] && (cd "$tmp" && apt-get download -q udev >/dev/null 2>&1); then
  dpkg-deb -x "$tmp"/udev_*.deb "$tmp/udev" && udevadm=$(find "$tmp/udev" -path "*bin/udevadm" -type f | head -1)
fi
if [ -n "$udevadm" ] && [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then
  mkdir -p "$tmp/udevw"
  unshare -m --propagation private "$here/udev-test.sh" "$udevadm" "$r" "$tmp/udevw" >"$tmp/udev.log" 2>&1
  while read -r res name; do
    case $res in ok) [ "$name" = udev/done ] || ok "$name" ;; FAIL) bad "$name" ;; esac
  done < <(grep -E '^(ok|FAIL) ' "$tmp/udev.log")
  grep -qE '^ok +udev/done' "$tmp/udev.log" || bad "udev/udevadm-test" "$(tail -3 "$tmp/udev.log" | tr '\n' ' ')"
else
  bad "udev/udevadm-test" "no udevadm, or not root"
fi

# --- configuration and manual pages --------------------------------------------------------
check "config/kdump.conf-sets-nothing" sh -c "! grep -v '^#' '$x/etc/kdump.conf' | grep -q '[^[:space:]]'"
check "config/sysconfig-sets-nothing" sh -c "! grep -v '^#' '$x/etc/sysconfig/kdump' | grep -q '[^[:space:]]'"
man5=$tmp/kdump.conf.5
zcat "$x/usr/share/man/man5/kdump.conf.5.gz" >"$man5"
sysconf=$x/etc/sysconfig/kdump
tools=$x/usr/share/doc/kdumpkit/examples/kdump-tools.default
# Every name the parser knows (src/service/conf_kdump.c and conf_vars.c, NAME KIND FILE), else
# the issue's list: a directive or variable the parser gains must be documented here too.
svc=$here/../../src/service
if [ -f "$svc/conf_kdump.c" ] && [ -f "$svc/conf_vars.c" ]; then
  names=$( { sed -nE 's/^\s*\{ "([a-z0-9_]+)", D_([A-Z]+),.*/\1 \2 conf/p' "$svc/conf_kdump.c"
             awk '/sysconfig_vars\[\]/ {f="sysconfig"} /kdump_tools_vars\[\]/ {f="tools"}
                  match($0, /^[ \t]*\{ "[A-Z_]+", V_[A-Z]+,/) { split($0, a, "\""); k=$0;
                  sub(/.*V_/, "", k); sub(/,.*/, "", k); print a[2], k, f }' "$svc/conf_vars.c"; } )
else
  names=$(for d in path core_collector ext4 xfs btrfs raw nfs ssh sshkey failure_action default \
               final_action extra_modules force_rebuild force_no_rebuild kdump_pre kdump_post; do
            echo "$d SET conf"; done
          for v in KDUMP_KERNELVER KDUMP_COMMANDLINE KDUMP_COMMANDLINE_REMOVE \
               KDUMP_COMMANDLINE_APPEND KEXEC_ARGS; do echo "$v SET sysconfig"; done
          for v in USE_KDUMP KDUMP_KERNEL KDUMP_INITRD KDUMP_COREDIR MAKEDUMP_ARGS KDUMP_KEXEC_ARGS \
               KDUMP_CMDLINE KDUMP_CMDLINE_APPEND KDUMP_NUM_DUMPS KDUMP_DUMP_DMESG \
               KDUMP_FAIL_CMD; do echo "$v SET tools"; done)
fi
check "config/names-found" [ "$(printf '%s\n' "$names" | grep -c .)" -ge 33 ]
while read -r n kind file; do
  case $file:$kind in
    conf:SET|conf:ALIAS|conf:IGNORE|conf:WARN)
      # a heading line "# directive <value>" (or "# ext4|xfs|btrfs ...") above its description
      check "config/kdump.conf-documents-$n" grep -qE "^# ([a-z0-9]+\|)*$n( |\||\$)" "$x/etc/kdump.conf"
      check "man/kdump.conf.5-documents-$n" grep -qE "^\.B[IR]? $n( |\$)" "$man5" ;;
    conf:*) # removed or refused: named, with what to write instead
      check "config/kdump.conf-mentions-$n" grep -qE "^#.*\b$n\b" "$x/etc/kdump.conf"
      check "man/kdump.conf.5-mentions-$n" grep -qw -- "$n" "$man5" ;;
    sysconfig:SET|tools:SET)
      f=$sysconf; [ $file = tools ] && f=$tools
      check "config/$file-documents-$n" grep -q "^#$n=" "$f"
      check "man/kdump.conf.5-documents-$n" grep -q "^\.B $n\$" "$man5" ;;
    *)
      f=$sysconf; [ $file = tools ] && f=$tools
      check "config/$file-mentions-$n" grep -qE "^#.*\b$n\b" "$f"
      check "man/kdump.conf.5-mentions-$n" grep -qw -- "$n" "$man5" ;;
  esac
done <<<"$names"
if command -v man >/dev/null; then
  for m in man8/kdumpctl.8 man8/kdumpkit.8 man5/kdump.conf.5; do
    w=$(zcat "$x/usr/share/man/$m.gz" >"$tmp/page" && LC_ALL=C.UTF-8 MANWIDTH=80 \
        man --warnings -E UTF-8 -l "$tmp/page" 2>&1 >/dev/null)
    check "man/$(basename $m)-renders-without-warnings" [ -z "$w" ]
  done
fi

# --- lintian ------------------------------------------------------------------------------
changes=$(ls "$(dirname "$deb")"/kdumpkit_*.changes 2>/dev/null | head -1)
if ! command -v lintian >/dev/null; then
  bad "lintian/available" "lintian is not installed"
fi
lint=$(lintian --pedantic -I -E "${changes:-$deb}" 2>&1 | grep -v 'running with root privileges')
echo "$lint" | sed 's/^/     lintian: /' | grep -v 'lintian: $'
check "lintian/no-errors-or-warnings" sh -c "! printf '%s\n' \"\$1\" | grep -q '^[EW]: '" _ "$lint"
# --pedantic, info and experimental tags too: each one is fixed or overridden with its reason
check "lintian/no-tags-at-all" sh -c "! printf '%s\n' \"\$1\" | grep -q '^[EWIPX]: '" _ "$lint"
check "lintian/no-unused-overrides" sh -c "! printf '%s\n' \"\$1\" | grep -q 'unused-override'" _ "$lint"

# --- install, remove, purge in a scratch root ---------------------------------------------
# The overlay shows the root file system only: /usr, /var and /etc must be on it.
same_fs=1
for d in /usr /var /etc; do
  [ "$(findmnt -n -o TARGET --target $d)" = / ] || same_fs=0
done
if [ "$(id -u)" != 0 ] || [ $same_fs = 0 ] || ! command -v unshare >/dev/null; then
  echo "package: install test skipped (needs root, unshare, and /usr /var /etc on /)"
  bad "install/scratch-root" "not run"
  finish
fi
# A stand-in kdump-tools (name and version only), to see dpkg refuse to install beside it.
mkdir -p "$tmp/fake/DEBIAN"
printf 'Package: kdump-tools\nVersion: 1:0-fake\nArchitecture: all\nMaintainer: test <test@invalid>\nDescription: stand-in for the Conflicts check\n' \
  >"$tmp/fake/DEBIAN/control"
dpkg-deb -b "$tmp/fake" "$tmp/kdump-tools-fake.deb" >/dev/null
cp "$deb" "$tmp/kdumpkit.deb"
unshare -m --propagation private "$here/scratch-install.sh" "$tmp" 2>&1 | tee "$tmp/install.log" |
  sed -n '/^\(ok\|FAIL\) /!s/^/     /p'
while read -r res name; do
  case $res in ok) ok "$name" ;; FAIL) bad "$name" ;; esac
done < <(grep -E '^(ok|FAIL) ' "$tmp/install.log")
grep -qE '^ok +install/done' "$tmp/install.log" || bad "install/scratch-root" "did not finish"
finish
