#!/usr/bin/python3
"""What drgn reads from a dump, as JSON, so two dumps of the same crash can be compared:
init_uts_ns, the task list (pid, comm, state) and the printk records.
  /usr/bin/python3 tests/lab/drgn_probe.py VMLINUX DUMP
(Debian's python3-drgn 0.0.22 cannot unwind 6.12 stacks, but it reads 6.12 memory.)"""
import json
import sys

import drgn
from drgn.helpers.linux.pid import for_each_task
from drgn.helpers.linux.printk import get_printk_records
from drgn.helpers.linux.sched import task_state_to_char


def main():
    vmlinux, dump = sys.argv[1:3]
    prog = drgn.Program()
    prog.set_core_dump(dump)
    prog.load_debug_info([vmlinux])
    uts = prog["init_uts_ns"].name
    out = {
        "uts": {f: getattr(uts, f).string_().decode() for f in
                ("sysname", "release", "version", "machine")},
        "tasks": sorted((int(t.pid), t.comm.string_().decode(), task_state_to_char(t))
                        for t in for_each_task(prog)),
        "printk": [(r.timestamp, r.text.decode(errors="replace"))
                   for r in get_printk_records(prog)],
    }
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
