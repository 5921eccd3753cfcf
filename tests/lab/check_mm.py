#!/usr/bin/env python3
"""Crash-lab check of the page classifier (src/mm) on real dumps.

check(vmcore_path, probe_path) runs tests/mm/lab-classify on one lab vmcore and returns
[(name, ok, detail)]:
  6.1 fixtures:  per-class excluded counts (zero, non-private cache, private cache, user, free)
                 within 0.5% of Debian's makedumpfile 1.7.2 at -d 31 (its "Excluded pages"
                 table, from --dry-run --message-level 31).
  6.12 fixtures: makedumpfile 1.7.2 does not understand 6.12's folios and page types (it keeps
                 the user pages), so the reference is the workload itself: at least 95% of the
                 anonymous memory it allocated (serial log: "KDLAB: workload ready anon=NM")
                 classified USER, the page cache it wrote classified CACHE, and the classes
                 adding up to the pages the dump has.
Every fixture: the classes add up to the pages the dump has, and none is unknown.

  python3 tests/lab/check_mm.py [PROBE [VMCORE...]]
"""
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

VMCORES = '/var/cache/kdumpkit-lab/vmcores'
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_PROBE = os.path.join(ROOT, 'build-mm', 'tests', 'mm', 'lab-classify')

# makedumpfile's report line -> the probe's key
MDF_ROWS = [
    ('Pages filled with zero', 'zero'),
    ('Non-private cache pages', 'cache'),
    ('Private cache pages', 'cache_private'),
    ('User process data pages', 'user'),
    ('Free pages', 'free'),
]
TOLERANCE = 0.005


def run_probe(vmcore, probe):
    cmd = [probe, vmcore]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        return None, (p.stderr.strip() or 'exit %d' % p.returncode)
    return json.loads(p.stdout), None


def run_makedumpfile(vmcore):
    """Debian's makedumpfile -d 31: {probe key: pages}, or (None, why)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, 'dump')
        try:
            p = subprocess.run(['makedumpfile', '-d', '31', '--message-level', '31',
                                '--dry-run', vmcore, out],
                               capture_output=True, text=True, timeout=900)
        except FileNotFoundError:
            return None, 'makedumpfile is not installed'
    text = p.stdout + p.stderr
    res = {}
    for label, key in MDF_ROWS:
        m = re.search(re.escape(label) + r'\s*:\s*0x([0-9a-fA-F]+)', text)
        if m:
            res[key] = int(m.group(1), 16)
    if p.returncode != 0 or len(res) != len(MDF_ROWS):
        return None, 'makedumpfile rc=%d: %s' % (p.returncode, text.strip()[-300:])
    return res, None


def fixture_facts(vmcore):
    """release, workload anon/cache MB and the guest's meminfo, from the files beside it."""
    base = vmcore[:-len('.vmcore')] if vmcore.endswith('.vmcore') else vmcore
    facts = {'release': os.path.basename(base).split('-1G')[0], 'anon_mb': None,
             'cache_mb': None, 'meminfo': {}}
    try:
        with open(base + '.json') as f:
            facts['release'] = json.load(f).get('release', facts['release'])
    except (OSError, ValueError):
        pass
    try:
        with open(base + '.serial.log', errors='replace') as f:
            log = f.read()
        m = re.search(r'KDLAB: workload ready anon=(\d+)M cache=(\d+)M', log)
        if m:
            facts['anon_mb'], facts['cache_mb'] = int(m.group(1)), int(m.group(2))
        for k, v in re.findall(r'^(\w+):\s+(\d+) kB', log, re.M):
            facts['meminfo'].setdefault(k, int(v))
    except OSError:
        pass
    return facts


def class_sum(r):
    return sum(r[k] for k in ('keep', 'cache', 'cache_private', 'user', 'free', 'hwpoison',
                              'offline', 'unknown', 'no_struct'))


def check(vmcore_path, probe_path):
    results = []
    name = os.path.basename(vmcore_path)
    r, err = run_probe(vmcore_path, probe_path)
    results.append(('%s: lab-classify reads the dump' % name, r is not None, err or 'ok'))
    if r is None:
        return results
    results.append(('%s: classes add up to the pages in the dump' % name,
                    class_sum(r) == r['total'],
                    'sum %d, total %d' % (class_sum(r), r['total'])))
    results.append(('%s: nothing unknown' % name, r['unknown'] == 0,
                    '%d unknown; problem: %r' % (r['unknown'], r['problem'])))
    facts = fixture_facts(vmcore_path)
    page_kb = 4
    if facts['release'].startswith('6.1.'):
        mdf, why = run_makedumpfile(vmcore_path)
        if mdf is None:
            results.append(('%s: makedumpfile 1.7.2 reference' % name, False, why))
            return results
        for label, key in MDF_ROWS:
            ours, theirs = r[key], mdf[key]
            ok = abs(ours - theirs) <= TOLERANCE * theirs
            results.append(('%s: %s within 0.5%% of makedumpfile' % (name, key), ok,
                            'ours %d, makedumpfile %d (%+.3f%%)' % (
                                ours, theirs, 100.0 * (ours - theirs) / theirs if theirs else 0)))
    else:
        if facts['anon_mb'] is not None and facts['anon_mb'] > 0:
            want = facts['anon_mb'] * 1024 // page_kb
            results.append(('%s: >=95%% of the workload anon classified user' % name,
                            r['user'] >= 0.95 * want,
                            'user %d pages, workload anon %d pages (%.1f%%)' % (
                                r['user'], want, 100.0 * r['user'] / want)))
        if facts['cache_mb']:
            want = facts['cache_mb'] * 1024 // page_kb
            results.append(('%s: >=95%% of the workload page cache classified cache' % name,
                            r['cache'] + r['cache_private'] >= 0.95 * want,
                            'cache %d pages, workload cache %d pages' % (
                                r['cache'] + r['cache_private'], want)))
        anon = facts['meminfo'].get('AnonPages')
        if anon:
            want = anon // page_kb
            # meminfo was read before the crash; a few pages come and go on an idle guest
            results.append(('%s: user within 2%% (or 64 pages) of the guest\'s AnonPages' % name,
                            abs(r['user'] - want) <= max(0.02 * want, 64),
                            'user %d, AnonPages %d pages' % (r['user'], want)))
        # For the record: what Debian's makedumpfile 1.7.2 makes of the same dump.
        mdf, why = run_makedumpfile(vmcore_path)
        results.append(('%s: (info) makedumpfile 1.7.2 on this kernel' % name, True,
                        why if mdf is None else ', '.join('%s %d' % kv for kv in mdf.items())))
    results.append(('%s: (info) ours' % name, True,
                    ', '.join('%s %s' % (k, r[k]) for k in (
                        'total', 'zero', 'cache', 'cache_private', 'user', 'free', 'keep',
                        'unknown', 'classify_seconds')) + '; problem %r' % r['problem']))
    return results


def main(argv):
    probe = argv[1] if len(argv) > 1 else DEFAULT_PROBE
    vmcores = argv[2:] or sorted(glob.glob(os.path.join(VMCORES, '*.vmcore')))
    if not os.access(probe, os.X_OK):
        print('no probe at %s: build lab-classify first' % probe)
        return 2
    if not vmcores:
        print('no lab vmcores in %s' % VMCORES)
        return 2
    passed = failed = 0
    for v in vmcores:
        print('==', os.path.basename(v))
        for name, ok, detail in check(v, probe):
            print('  %s %s: %s' % ('ok  ' if ok else 'FAIL', name.split(': ', 1)[-1], detail))
            passed += ok
            failed += not ok
    print('%d passed, %d failed' % (passed, failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
