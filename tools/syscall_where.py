#!/usr/bin/env python3
"""Check that docs/syscalls.md says truly where each Linux call is served.

  tools/syscall_where.py          check; print one line per disagreement
  tools/syscall_where.py --list   print each implemented call and where

Where a call is served comes from the code, never from the page:
  kernel        SYS(name) or SYS_AS(name, fn) in the kernel's table:
                CORE_SYSCALLS (kernel/sys/syscall.c) and the platform's
                ARCH_SYSCALLS (kernel/arch/<arch>/include/arch_defs.h);
  personality   a `case NR_name:` line in user/persona/*.c (the switch of
                persona_call), for a call the kernel's table lacks: the
                kernel reflects every number it does not serve.
A number in neither fails with ENOSYS and must not be in the tables.

Every table of docs/syscalls.md with a "Where" column has rows
`| numbers | names | where | status |`. The first word of `where` must be
what the code says; words after an arrow name who does the work behind
("kernel → lumen → server"; "kernel → personality" for a call the kernel
serves in part and reflects otherwise, as fcntl's locks), for the reader,
unchecked but for their vocabulary. Each implemented call is named in exactly one row, and the
row's numbers are its calls' numbers, in order (from the distribution's
<asm/unistd_64.h>, as tools/mksyscalls.py reads them). Exit status 0 when
all agree, 1 otherwise.
"""
import os
import re
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOC = "docs/syscalls.md"
KERNEL_TABLE = "kernel/sys/syscall.c"
PERSONA = "user/persona"
WHERES = ("kernel", "personality")
BEHIND = ("lumen", "server", "personality")


def read(path):
    with open(os.path.join(REPO, path), encoding="utf-8") as f:
        return f.read()


def macro_body(text, name):
    """The body of the multi-line #define `name` in C source `text`."""
    m = re.search(r"#define %s\b((?:.*\\\n)*.*)" % name, text)
    return m.group(1) if m else ""


def kernel_calls(arch):
    """{call: file} for every Linux call in the kernel's table."""
    calls = {}
    arch_defs = f"kernel/arch/{arch}/include/arch_defs.h"
    for path, macro in ((KERNEL_TABLE, "CORE_SYSCALLS"),
                        (arch_defs, "ARCH_SYSCALLS")):
        body = macro_body(read(path), macro)
        if not body:
            sys.exit(f"syscall_where: no {macro} in {path}")
        for name in re.findall(r"\bSYS(?:_AS)?\(\s*(\w+)", body):
            calls[name] = path
    return calls


def persona_calls():
    """{call: file} for every `case NR_x:` of the personality."""
    calls = {}
    top = os.path.join(REPO, PERSONA)
    for name in sorted(os.listdir(top)):
        if name.endswith(".c"):
            path = f"{PERSONA}/{name}"
            for call in re.findall(r"\bcase\s+NR_(\w+)\s*:", read(path)):
                calls[call] = path
    return calls


def linux_numbers(arch):
    """{call: number} from the header kernel/arch/<arch>/arch.mk names."""
    mk = read(f"kernel/arch/{arch}/arch.mk")
    m = re.search(r"^SYSCALL_HEADER\s*:?=\s*(\S+)", mk, re.M)
    if not m or not os.path.exists(m.group(1)):
        return None
    text = open(m.group(1)).read()
    return {n: int(v) for n, v in
            re.findall(r"#define __NR_(\w+)\s+(\d+)\b", text)}


def doc_arch():
    """The platform whose numbers the doc's table has: its "Table (<name>
    numbers)" line (no platform is named outside kernel/arch/ but in the
    documentation)."""
    m = re.search(r"^Table \((\w+) numbers\)", read(DOC), re.M)
    if not m or not os.path.isdir(os.path.join(REPO, "kernel/arch",
                                               m.group(1))):
        sys.exit(f"syscall_where: {DOC} names no platform's numbers "
                 "(\"Table (<name> numbers)\")")
    return m.group(1)


def doc_rows():
    """(line number, [numbers], [names], where) of each row of every
    table that has a Where column."""
    rows, cols = [], None
    for i, line in enumerate(read(DOC).splitlines(), 1):
        if not line.startswith("|"):
            cols = None
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cols is None:
            cols = [c.lower() for c in cells]
            continue
        if "where" not in cols or set(line) <= set("|-: "):
            continue
        num, call, where = (cells[cols.index(k)]
                            for k in ("#", "call", "where"))
        rows.append((i, [n.strip() for n in num.split(",")],
                     [c.strip() for c in call.split(",")], where))
    return rows


def check():
    """The disagreements between DOC and the code, as messages."""
    arch = doc_arch()
    kernel, persona = kernel_calls(arch), persona_calls()
    truth = dict((c, "personality") for c in persona)
    truth.update((c, "kernel") for c in kernel)
    numbers = linux_numbers(arch)
    errors, seen = [], {}
    for c in sorted(set(kernel) & set(persona)):
        errors.append(f"{c}: both in the kernel's table ({kernel[c]}) and in "
                      f"the personality ({persona[c]}), whose case is never "
                      f"reached: remove one")
    for line, nums, names, where in doc_rows():
        at = f"{DOC}:{line}"
        words = where.replace("→", " ").split()
        if not words or words[0] not in WHERES or any(
                w not in BEHIND for w in words[1:]):
            errors.append(f"{at}: Where is '{where}': it must start with "
                          f"{' or '.join(WHERES)}, optionally followed by "
                          f"'→ {' → '.join(BEHIND)}' parts")
            continue
        for name in names:
            if name in seen:
                errors.append(f"{at}: {name} is also in the row at line "
                              f"{seen[name]}: name each call once")
            seen[name] = line
            if name not in truth:
                errors.append(f"{at}: {name} is neither in the kernel's table "
                              f"nor a case of the personality (it fails with "
                              f"ENOSYS): remove it from the table, or "
                              f"implement it")
            elif truth[name] != words[0]:
                src = (kernel if truth[name] == "kernel" else persona)[name]
                fix = (f"change this row's Where from '{words[0]}' to "
                       f"'{truth[name]}'" if len(names) == 1 else
                       f"move {name} to a row of its own whose Where is "
                       f"'{truth[name]}'")
                errors.append(f"{at}: {name} is served by the "
                              f"{truth[name]} ({src}), not the {words[0]}: "
                              f"{fix}")
        if numbers is not None:
            want = [str(numbers.get(n, "?")) for n in names]
            if nums != want:
                errors.append(f"{at}: the numbers of {', '.join(names)} are "
                              f"{', '.join(want)}, not {', '.join(nums)}")
    for name in sorted(set(truth) - set(seen)):
        errors.append(f"{DOC}: {name} ({truth[name]}) is in no table: add a "
                      f"row for it with Where '{truth[name]}'")
    return errors


def main(argv):
    if argv[1:] == ["--list"]:
        truth = dict((c, "personality") for c in persona_calls())
        truth.update((c, "kernel") for c in kernel_calls(doc_arch()))
        for name in sorted(truth):
            print(f"{name} {truth[name]}")
        return 0
    errors = check()
    for e in errors:
        print(e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
