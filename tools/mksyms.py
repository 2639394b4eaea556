#!/usr/bin/env python3
"""Make the kernel's symbol table for fault reports.

  llvm-nm -n lux.elf | mksyms.py            > ksyms.S   (the table)
  mksyms.py --empty                         > ksyms0.S  (first link)
  llvm-nm -n lux.elf | mksyms.py --check first.elf      (same code addresses?)

Only functions (nm types T, t) are listed; the table goes after all code,
so the first link's code addresses hold for the second.
"""
import subprocess
import sys


def functions(lines):
    syms = []
    for line in lines:
        parts = line.split()
        if len(parts) == 3 and parts[1] in ("T", "t"):
            syms.append((int(parts[0], 16), parts[2]))
    return sorted(set(syms))


def emit(syms):
    out = ['\t.section .ksyms, "a"', "\t.balign 8",
           "\t.globl ksym_count, ksym_addrs, ksym_names, ksym_strings",
           "ksym_count:", "\t.quad %d" % len(syms), "ksym_addrs:"]
    out += ["\t.quad 0x%x" % a for a, _ in syms]
    out.append("ksym_names:")
    offset = 0
    for _, name in syms:
        out.append("\t.long %d" % offset)
        offset += len(name) + 1
    out.append("ksym_strings:")
    out += ['\t.asciz "%s"' % name for _, name in syms]
    return "\n".join(out) + "\n"


def main():
    if sys.argv[1:] == ["--empty"]:
        sys.stdout.write(emit([]))
    elif len(sys.argv) == 3 and sys.argv[1] == "--check":
        first = subprocess.run(["llvm-nm", "-n", sys.argv[2]], check=True,
                               capture_output=True, text=True).stdout
        if functions(first.splitlines()) != functions(sys.stdin):
            sys.exit("mksyms: code moved between the two links")
    else:
        sys.stdout.write(emit(functions(sys.stdin)))


main()
