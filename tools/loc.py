#!/usr/bin/env python3
"""Count lux kernel code lines: `make loc`, or `tools/loc.py [--json]`.

A code line is a line of a .c, .h or .S file under kernel/ that still holds
something once comments are removed: blank lines and comment-only lines do
not count. The portable core is kernel/ without kernel/arch/; each
kernel/arch/<name>/ is one platform, without its uinclude/ (the headers
user space includes, as include/ is not counted: the personality's
context block, the test programs' helpers). The budget is core + one platform.
The Linux personality (user/persona/, user space: not in the budget) is
printed after, counted by the same rule.
"""

import json
import os
import sys

BUDGET = 5000
KERNEL = "kernel"
PERSONA = os.path.join("user", "persona")
SUFFIXES = (".c", ".h", ".S")
# In .S files a line starting with `#` is a preprocessor directive (code)
# only if one of these follows; otherwise it is an assembler comment.
CPP_DIRECTIVES = {"define", "undef", "include", "if", "ifdef", "ifndef",
                  "elif", "else", "endif", "error", "warning", "pragma",
                  "line"}


def strip_comments(text):
    """Return `text` with C comments blanked out, keeping every newline.
    Knows string and character literals, so "/*" inside one is not a
    comment, and backslash-newline continuing a // comment."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        two = text[i:i + 2]
        if two == "/*":
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append(" " + "\n" * text.count("\n", i, end))
            i = end
        elif two == "//":
            while i < n and text[i] != "\n":
                if text[i] == "\\" and text[i + 1:i + 2] == "\n":
                    out.append("\n")
                    i += 1
                i += 1
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n) if j < n and text[j] == c else j
            out.append(text[i:j])
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def is_asm_comment(line):
    s = line.strip()
    if not s.startswith("#"):
        return False
    word = s[1:].strip().split(None, 1)
    return not word or word[0].split("(")[0] not in CPP_DIRECTIVES


def count_file(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = strip_comments(f.read()).split("\n")
    if path.endswith(".S"):
        lines = [x for x in lines if not is_asm_comment(x)]
    return sum(1 for x in lines if x.strip())


def count_tree(top, skip=None):
    """(code lines, file count) of the sources under `top`, minus `skip`."""
    lines = files = 0
    for d, subdirs, names in os.walk(top):
        if skip and os.path.abspath(d) == os.path.abspath(skip):
            subdirs[:] = []
            continue
        subdirs.sort()
        for name in sorted(names):
            if name.endswith(SUFFIXES):
                lines += count_file(os.path.join(d, name))
                files += 1
    return lines, files


def main(argv):
    os.chdir(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    arch_dir = os.path.join(KERNEL, "arch")
    core, core_files = count_tree(KERNEL, skip=arch_dir)
    archs = sorted(a for a in os.listdir(arch_dir)
                   if os.path.isdir(os.path.join(arch_dir, a))) \
        if os.path.isdir(arch_dir) else []
    platforms = {a: count_tree(os.path.join(arch_dir, a),
                               skip=os.path.join(arch_dir, a, "uinclude"))
                 for a in archs}
    persona, persona_files = count_tree(PERSONA)

    if "--json" in argv:
        print(json.dumps({
            "budget": BUDGET,
            "core": {"lines": core, "files": core_files},
            "platforms": {a: {"lines": n, "files": f, "total": core + n}
                          for a, (n, f) in platforms.items()},
            "persona": {"lines": persona, "files": persona_files},
        }, indent=2))
        return 0

    print("lux kernel code lines (no blank or comment-only lines)")
    row = "  {:<30} {:>5}  {}"
    print(row.format("core (kernel/)", core, f"{core_files} files"))
    for a, (n, f) in platforms.items():
        print(row.format(f"{a} (kernel/arch/{a}/)", n, f"{f} files"))
    for a, (n, _) in platforms.items():
        total = core + n
        verdict = "within" if total <= BUDGET else "OVER"
        print(row.format(f"core + {a}", total,
                         f"{100 * total // BUDGET}% of the {BUDGET:,}-line "
                         f"budget, {verdict}"))
    print("user space (not in the budget)")
    print(row.format("personality (user/persona/)", persona,
                     f"{persona_files} files"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
