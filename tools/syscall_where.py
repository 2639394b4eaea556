#!/usr/bin/env python3
"""Check that docs/syscalls.md says truly where each Linux call is served,
and names every call there is.

  tools/syscall_where.py              check; one line per disagreement
  tools/syscall_where.py --list       each implemented call and where
  tools/syscall_where.py --self-test  the check finds what it must

Where a call is served comes from the code, never from the page:
  kernel        SYS(name) or SYS_AS(name, fn) in the kernel's table:
                CORE_SYSCALLS (kernel/sys/syscall.c) and the platform's
                ARCH_SYSCALLS (kernel/arch/<arch>/include/arch_defs.h);
  personality   a `case NR_name:` line in user/persona/*.c (the switch of
                persona_call), for a call the kernel's table lacks: the
                kernel reflects every number it does not serve.
A number in neither fails with ENOSYS: its row's Where is `ENOSYS` and
its text says why (obsolete, a facility lux does not have, or which
issue would add it).

Every table of docs/syscalls.md with a "Where" column has rows
`| numbers | names | where | status |`. The first word of `where` must be
what the code says; words after an arrow name who does the work behind
("kernel → lumen → server"; "kernel → personality" for a call the kernel
serves in part and reflects otherwise, as fcntl's locks), for the reader,
unchecked but for their vocabulary. Every call of every platform's list
(the header its kernel/arch/<arch>/arch.mk names as SYSCALL_HEADER, the
one tools/mksyscalls.py reads) is named in exactly one row, and the
row's numbers are its calls' numbers on the page's platform, in order
("-" for a call that platform lacks). The table whose columns are
"Platform" and "Only it has" names, per platform, the calls no other
platform has ("none" if none). Exit status 0 when all agree, 1
otherwise.
"""
import os
import re
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOC = "docs/syscalls.md"
KERNEL_TABLE = "kernel/sys/syscall.c"
PERSONA = "user/persona"
WHERES = ("kernel", "personality", "ENOSYS")
BEHIND = ("lumen", "server", "personality")


DOC_TEXT = None  # the page's text instead of the file's (--self-test)


def read(path):
    if path == DOC and DOC_TEXT is not None:
        return DOC_TEXT
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
    """{call: number} from the header kernel/arch/<arch>/arch.mk names
    (read as tools/mksyscalls.py reads it)."""
    mk = read(f"kernel/arch/{arch}/arch.mk")
    m = re.search(r"^SYSCALL_HEADER\s*:?=\s*(\S+)", mk, re.M)
    if not m or not os.path.exists(m.group(1)):
        sys.exit(f"syscall_where: no system-call header for {arch} "
                 f"(SYSCALL_HEADER of kernel/arch/{arch}/arch.mk)")
    text = open(m.group(1)).read()
    nr = {n: int(v) for n, v in
          re.findall(r"#define __NR_(\w+)\s+(\d+)\b", text)}
    for name, alias in re.findall(r"#define __NR_(\w+)\s+__NR3264_(\w+)",
                                  text):
        a = re.search(r"#define __NR3264_%s\s+(\d+)" % alias, text)
        if a:
            nr[name] = int(a.group(1))
    return nr


def platforms():
    """{platform: {call: number}} for each directory of kernel/arch."""
    top = os.path.join(REPO, "kernel/arch")
    return {a: linux_numbers(a) for a in sorted(os.listdir(top))
            if os.path.exists(os.path.join(top, a, "arch.mk"))}


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


def doc_tables(key):
    """(line number, {column: cell}) of each row of every table that has
    column key."""
    rows, cols = [], None
    for i, line in enumerate(read(DOC).splitlines(), 1):
        if not line.startswith("|"):
            cols = None
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cols is None:
            cols = [c.lower() for c in cells]
            continue
        if key not in cols or set(line) <= set("|-: "):
            continue
        rows.append((i, dict(zip(cols, cells))))
    return rows


def doc_rows():
    """(line number, [numbers], [names], where) of each row of every
    table that has a Where column."""
    return [(i, [n.strip() for n in c["#"].split(",")],
             [n.strip() for n in c["call"].split(",")], c["where"])
            for i, c in doc_tables("where")]


def check_platforms(plats):
    """The disagreements of the "Only it has" table with the lists."""
    errors, rows = [], {}
    for line, c in doc_tables("only it has"):
        names = set(n.strip() for n in c["only it has"].split(","))
        rows[c["platform"]] = (line, names - {"none"})
    for arch, nums in plats.items():
        others = set().union(*(set(n) for a, n in plats.items() if a != arch))
        only = set(nums) - others
        line, said = rows.pop(arch, (None, None))
        if line is None:
            errors.append(f"{DOC}: no row for {arch} in the table of calls "
                          f"of one platform (Platform | Only it has)")
            continue
        for name in sorted(only - said):
            errors.append(f"{DOC}:{line}: {name} is {arch}'s only: add it")
        for name in sorted(said - only):
            errors.append(f"{DOC}:{line}: {name} is not {arch}'s only: "
                          f"remove it")
    for arch, (line, _) in rows.items():
        errors.append(f"{DOC}:{line}: {arch} is no platform of kernel/arch")
    return errors


def check():
    """The disagreements between DOC and the code, as messages."""
    arch = doc_arch()
    kernel, persona = kernel_calls(arch), persona_calls()
    truth = dict((c, "personality") for c in persona)
    truth.update((c, "kernel") for c in kernel)
    plats = platforms()
    numbers = plats[arch]
    every = set().union(*(set(n) for n in plats.values()))
    errors, seen = check_platforms(plats), {}
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
            if words[0] == "ENOSYS":
                if name in truth:
                    src = (kernel if truth[name] == "kernel"
                           else persona)[name]
                    errors.append(f"{at}: {name} is served by the "
                                  f"{truth[name]} ({src}), not ENOSYS: "
                                  f"give it a row whose Where is "
                                  f"'{truth[name]}' instead")
                elif name not in every:
                    errors.append(f"{at}: {name} is no platform's call")
            elif name not in truth:
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
        want = [str(numbers.get(n, "-")) for n in names]
        if nums != want:
            errors.append(f"{at}: the numbers of {', '.join(names)} are "
                          f"{', '.join(want)}, not {', '.join(nums)}")
    for name in sorted((set(truth) | every) - set(seen)):
        where = truth.get(name, "ENOSYS")
        errors.append(f"{DOC}: {name} ({where}) is in no table: add a "
                      f"row for it with Where '{where}'" +
                      ("" if name in truth else ", saying why lux does not "
                       "serve it"))
    return errors


def self_test():
    """The check fails on a page that lacks a served call's row, an
    unserved call's row or a platform's only call, or says ENOSYS for a
    served call, naming the call: 0 if it does, 1 otherwise."""
    global DOC_TEXT
    page, bad = read(DOC), 0
    rows = {names[0]: (line, where)
            for line, _, names, where in doc_rows() if len(names) == 1}
    lines = page.splitlines(keepends=True)
    served = next(n for n, (_, w) in sorted(rows.items()) if w != "ENOSYS")
    unserved = next(n for n, (_, w) in sorted(rows.items())
                    if w == "ENOSYS")
    wrong = lines[rows[served][0] - 1].replace(
        f"| {rows[served][1]} |", "| ENOSYS |", 1)
    only = next(c for _, c in doc_tables("only it has")
                if c["only it has"] != "none")
    first = only["only it has"].split(",")[0]
    cases = ((served, None), (unserved, None), (served, wrong),
             (first, "only"))
    for name, change in cases:
        text = list(lines)
        if change == "only":
            text = [t.replace(f"| {first}, ", "| ", 1)
                    if t.startswith(f"| {only['platform']} |") else t
                    for t in text]
        else:
            text[rows[name][0] - 1] = change or ""
        DOC_TEXT = "".join(text)
        errors = check()
        if not any(name in e for e in errors):
            print(f"syscall_where: self-test: no error names {name} "
                  f"({'its row removed' if not change else change})")
            bad = 1
    DOC_TEXT = None
    return bad


def main(argv):
    if argv[1:] == ["--list"]:
        truth = dict((c, "personality") for c in persona_calls())
        truth.update((c, "kernel") for c in kernel_calls(doc_arch()))
        for name in sorted(truth):
            print(f"{name} {truth[name]}")
        return 0
    if argv[1:] == ["--self-test"]:
        return self_test()
    errors = check()
    for e in errors:
        print(e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
