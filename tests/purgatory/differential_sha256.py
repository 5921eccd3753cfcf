#!/usr/bin/env python3
"""Differential test: kdumpkit's SHA-256 (through sha256_stream) against Python's hashlib on
seeded random messages of random lengths (every length 0..300, around the padding boundaries,
then larger ones), each fed in random update sizes.
usage: differential_sha256.py SHA256_STREAM [SEED]"""
import hashlib
import random
import struct
import subprocess
import sys


def main():
    tool = sys.argv[1]
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 20261123
    rng = random.Random(seed)
    lengths = list(range(0, 301)) + [rng.randrange(301, 200000) for _ in range(60)]
    records, want = [], []
    for n in lengths:
        msg = rng.randbytes(n)
        piece = rng.choice([1, 3, 63, 64, 65, 127, 4096, rng.randrange(1, n + 2)])
        records.append(struct.pack('<II', n, piece) + msg)
        want.append(hashlib.sha256(msg).hexdigest())
    out = subprocess.run([tool], input=b''.join(records), stdout=subprocess.PIPE, check=True)
    got = out.stdout.decode().split()
    if len(got) != len(want):
        print(f'{len(got)} digests for {len(want)} messages')
        return 1
    bad = [(n, g, w) for n, g, w in zip(lengths, got, want) if g != w]
    for n, g, w in bad[:10]:
        print(f'length {n}: got {g}, hashlib {w}')
    print(f'seed {seed}: {len(want) - len(bad)}/{len(want)} digests agree with hashlib')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
