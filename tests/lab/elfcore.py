"""A small reader for ELF64 core files (vmcores), used by the lab as an independent check of what
the capture kernel produced. kdumpkit's own reader is C (src/elf); this one is the oracle."""

import struct

PT_LOAD, PT_NOTE = 1, 4
ET_CORE, EM_X86_64 = 4, 62
NT_PRSTATUS = 1


class CoreError(Exception):
    pass


class Core:
    def __init__(self, path):
        self.path = path
        with open(path, "rb") as f:
            ehdr = f.read(64)
            if len(ehdr) < 64 or ehdr[:4] != b"\x7fELF":
                raise CoreError("no ELF magic")
            if ehdr[4] != 2 or ehdr[5] != 1:
                raise CoreError("not ELF64 little-endian")
            (self.e_type, self.e_machine, _, _, self.phoff, _, _, _, self.phentsize,
             self.phnum) = struct.unpack_from("<HHIQQQIHHH", ehdr, 16)
            if self.phentsize != 56 or self.phnum == 0 or self.phnum > 65535:
                raise CoreError(f"bad program header table ({self.phnum} x {self.phentsize})")
            f.seek(self.phoff)
            raw = f.read(56 * self.phnum)
            if len(raw) != 56 * self.phnum:
                raise CoreError("truncated program headers")
            self.phdrs = []
            for i in range(self.phnum):
                p_type, p_flags, off, vaddr, paddr, filesz, memsz, _ = struct.unpack_from(
                    "<IIQQQQQQ", raw, 56 * i)
                self.phdrs.append(dict(type=p_type, offset=off, vaddr=vaddr, paddr=paddr,
                                       filesz=filesz, memsz=memsz))
            self.notes = []
            for p in self.phdrs:
                if p["type"] != PT_NOTE:
                    continue
                f.seek(p["offset"])
                data = f.read(p["filesz"])
                self.notes.extend(_parse_notes(data))

    def loads(self):
        return [p for p in self.phdrs if p["type"] == PT_LOAD]

    def end_offset(self):
        return max(p["offset"] + p["filesz"] for p in self.phdrs)

    def vmcoreinfo(self):
        for name, ntype, desc in self.notes:
            if name == b"VMCOREINFO":
                out = {}
                for line in desc.rstrip(b"\0").decode(errors="replace").splitlines():
                    k, _, v = line.partition("=")
                    out[k] = v
                return out
        return None

    def prstatus_count(self):
        return sum(1 for n, t, _ in self.notes if n == b"CORE" and t == NT_PRSTATUS)


def _parse_notes(data):
    notes, off = [], 0
    while off + 12 <= len(data):
        namesz, descsz, ntype = struct.unpack_from("<III", data, off)
        off += 12
        name = data[off:off + namesz].rstrip(b"\0")
        off += (namesz + 3) & ~3
        desc = data[off:off + descsz]
        off += (descsz + 3) & ~3
        if namesz == 0 and descsz == 0 and ntype == 0:
            break
        notes.append((name, ntype, desc))
    return notes
