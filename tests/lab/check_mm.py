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
Every fixture: the classes add up to the pages the dump has, and none is unknown; and, page by
page, the workload's own pages are found by their content (lab-memfill's random pages are an
xorshift stream this script regenerates) and must be USER (anonymous) or CACHE (tmpfs files).

  python3 tests/lab/check_mm.py [PROBE [VMCORE...]]
"""
import glob
import json
import mmap
import os
import re
import struct
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
    """The probe's JSON, with 'classes': the class of every pfn (bytes)."""
    with tempfile.TemporaryDirectory() as tmp:
        cls = os.path.join(tmp, 'classes')
        p = subprocess.run([probe, '--classes', cls, vmcore], capture_output=True, text=True,
                           timeout=600)
        if p.returncode != 0:
            return None, (p.stderr.strip() or 'exit %d' % p.returncode)
        r = json.loads(p.stdout)
        with open(cls, 'rb') as f:
            r['classes'] = f.read()
    return r, None


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


# enum kd_page_class (src/mm/pageclass.h)
CLASS_NAMES = ['keep', 'cache', 'cache_private', 'user', 'free', 'hwpoison', 'offline',
               'unknown', 'no_struct']
_WORKLOAD = {}


def workload_random_pages(anon_mb, cache_mb):
    """{first 8 bytes: 'anon' | 'cache'} of lab-memfill's random pages (tests/lab/guest/memfill.c:
    the cache files first, 256 pages each, then the anonymous mapping; page i of a run is random
    when i % 3 == 2, 512 xorshift64 words from one global state)."""
    key = (anon_mb, cache_mb)
    if key in _WORKLOAD:
        return _WORKLOAD[key]
    mask = (1 << 64) - 1
    rng = 0x9e3779b97f4a7c15
    firsts = {}

    def page():
        nonlocal rng
        x = rng
        x ^= (x << 13) & mask
        x ^= x >> 7
        x ^= (x << 17) & mask
        first = x
        for _ in range(511):
            x ^= (x << 13) & mask
            x ^= x >> 7
            x ^= (x << 17) & mask
        rng = x
        return first

    left = cache_mb * 256
    while left:
        chunk = min(256, left)
        for i in range(chunk):
            if i % 3 == 2:
                firsts[page()] = 'cache'
        left -= chunk
    for i in range(anon_mb * 256):
        if i % 3 == 2:
            firsts[page()] = 'anon'
    _WORKLOAD[key] = firsts
    return firsts


def pfn_first_words(vmcore):
    """{pfn: first 8 bytes} for every page the ELF vmcore holds whole."""
    out = {}
    with open(vmcore, 'rb') as f:
        ehdr = f.read(64)
        phoff, = struct.unpack_from('<Q', ehdr, 32)
        phnum, = struct.unpack_from('<H', ehdr, 56)
        f.seek(phoff)
        raw = f.read(56 * phnum)
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
            for i in range(phnum):
                ptype, _, off, _, paddr, filesz, _, _ = struct.unpack_from('<IIQQQQQQ', raw, 56 * i)
                if ptype != 1 or paddr % 4096:
                    continue
                for k in range(filesz // 4096):
                    out[paddr // 4096 + k] = struct.unpack_from('<Q', m, off + k * 4096)[0]
    return out


def workload_page_checks(name, vmcore, classes, facts):
    """The workload's random pages found in the dump, by origin, and the classes they got."""
    firsts = workload_random_pages(facts['anon_mb'] or 0, facts['cache_mb'] or 0)
    found = {'anon': {}, 'cache': {}}
    for pfn, w in pfn_first_words(vmcore).items():
        origin = firsts.get(w)
        if origin and pfn < len(classes):
            c = CLASS_NAMES[classes[pfn]] if classes[pfn] < len(CLASS_NAMES) else '?'
            found[origin][c] = found[origin].get(c, 0) + 1
    res = []
    for origin, want_classes, mb in (('anon', ('user',), facts['anon_mb']),
                                     ('cache', ('cache', 'cache_private'), facts['cache_mb'])):
        if not mb:
            continue
        expected = mb * 256 // 3
        got = found[origin]
        n = sum(got.values())
        good = sum(got.get(c, 0) for c in want_classes)
        # the cache files' last chunk also sits in lab-memfill's buffer (anonymous): <= 85 pages
        slack = 0.01 if origin == 'cache' else 0.001
        res.append(('%s: workload %s pages found by content are %s' % (
            name, origin, '/'.join(want_classes)),
            n >= 0.9 * expected and good >= (1 - slack) * n,
            'found %d of %d random pages; classes %s' % (
                n, expected, ', '.join('%s %d' % kv for kv in sorted(got.items())))))
    return res


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
    if facts['anon_mb'] or facts['cache_mb']:
        results += workload_page_checks(name, vmcore_path, r['classes'], facts)
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
