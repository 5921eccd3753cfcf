#!/bin/sh
# The report applet's command line through the real binary: usage errors exit 2, a dump that
# cannot be opened exits 1 and names it, --help prints the usage on stdout.
bin=$1
fail=0
tmp=${TMPDIR:-/tmp}/kd-report-cli-$$
check() { # description, condition...
  d=$1; shift
  if "$@"; then echo "ok   $d"; else echo "FAIL $d"; fail=1; fi
}
so=$("$bin" report 2>"$tmp"); rc=$?
check "no dump: exit 2" [ $rc -eq 2 ]
check "no dump: usage on stderr" grep -q "^usage: .*report \[--json\] DUMP" "$tmp"
check "no dump: no stdout" [ -z "$so" ]
so=$("$bin" report --frobnicate x 2>"$tmp"); rc=$?
check "unknown option: exit 2" [ $rc -eq 2 ]
check "unknown option: named" grep -q "unknown option '--frobnicate'" "$tmp"
so=$("$bin" report a b 2>/dev/null); rc=$?
check "two dumps: exit 2" [ $rc -eq 2 ]
so=$("$bin" report --help); rc=$?
check "--help: exit 0" [ $rc -eq 0 ]
check "--help: usage on stdout" sh -c "printf '%s' '$so' | grep -q '^usage:'"
so=$("$bin" report --json /nonexistent/dump 2>"$tmp"); rc=$?
check "missing dump: exit 1" [ $rc -eq 1 ]
check "missing dump: named on stderr" grep -q "/nonexistent/dump" "$tmp"
check "missing dump: no stdout" [ -z "$so" ]
printf 'not a dump at all\n' > "$tmp.dump"
so=$("$bin" report "$tmp.dump" 2>"$tmp"); rc=$?
check "not a dump: exit 1" [ $rc -eq 1 ]
check "not a dump: says why" [ -s "$tmp" ]
rm -f "$tmp" "$tmp.dump"
exit $fail
