#!/usr/bin/env python3
"""Check that no file outside the platforms' own places names a platform
(issue 14; docs/platform.md, "Where a platform may be named").

The platforms are the directories kernel/arch/<name>/ with a platform.py.
Their names are those directories' names, each platform.py's UNAME (what
uname says), the UARCH of its arch.mk (the musl triple's first word), the
P_DEB_ARCH of its setup.sh (Debian's name), and the C compiler's
architecture macros (__x86_64__, __aarch64__, ...). A file names a
platform when its code does: comments, Python docstrings and
documentation (*.md) may name them, as docs/ does.

Allowed: kernel/arch/ (each platform's files); the personality's
platform files user/persona/<UARCH>.S and user/persona/<UARCH>/; *.md
files; this file (its list of macros). Every other file that git tracks or
would track (untracked, not ignored) is read. Prints file:line: text for
each line that names one; exit status 1 if any does, else 0.
--self-test checks the check on lines it must find and lines it must
let pass.
"""
import io
import os
import re
import subprocess
import sys
import tokenize

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ARCH_DIR = "kernel/arch"
SELF = "tools/arch_names.py"  # the rule's own list of macros
# Architecture macros of C compilers, beyond __<name>__ of each name.
MACROS = ("__x86_64", "__amd64", "__i386", "__aarch64", "__arm__",
          "__riscv", "__powerpc", "__mips", "_M_X64", "_M_ARM64")


def read(path):
    with open(os.path.join(REPO, path), encoding="utf-8",
              errors="replace") as f:
        return f.read()


def value(text, pattern):
    m = re.search(pattern, text, re.M)
    return m.group(1) if m else None


def platforms():
    """{name: (its words, its UARCH)} for each platform."""
    out = {}
    base = os.path.join(REPO, ARCH_DIR)
    for name in sorted(os.listdir(base)):
        d = os.path.join(ARCH_DIR, name)
        if not os.path.isfile(os.path.join(REPO, d, "platform.py")):
            continue
        words = {name}
        uname = value(read(f"{d}/platform.py"), r'^UNAME = "([^"]+)"')
        uarch = value(read(f"{d}/arch.mk"), r"^UARCH\s*:?=\s*(\S+)")
        deb = None
        if os.path.exists(os.path.join(REPO, d, "setup.sh")):
            deb = value(read(f"{d}/setup.sh"), r"^P_DEB_ARCH=(\S+)")
        words |= {w for w in (uname, uarch, deb) if w}
        out[name] = (words, uarch)
    return out


def pattern(plats):
    words = set()
    for w, _ in plats.values():
        words |= w
    alts = sorted({re.escape(w).replace("_", "[-_]") for w in words},
                  key=len, reverse=True)
    names = r"(?<![A-Za-z0-9])(?:" + "|".join(alts) + r")(?![A-Za-z0-9])"
    macros = "|".join(re.escape(m) for m in MACROS)
    return re.compile(rf"{names}|(?:{macros})", re.I)


def allowed(path, plats):
    if (path.startswith(ARCH_DIR + "/") or path.endswith(".md") or
            path == SELF):
        return True
    for _, uarch in plats.values():
        if uarch and (path == f"user/persona/{uarch}.S" or
                      path.startswith(f"user/persona/{uarch}/")):
            return True
    return False


def blank(text, start, end):
    """text with [start, end) turned into spaces, newlines kept."""
    part = re.sub(r"[^\n]", " ", text[start:end])
    return text[:start] + part + text[end:]


def strip_c(text):
    """C and assembly without comments (strings and characters kept)."""
    out, i, n = [], 0, len(text)
    token = re.compile(r'/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"|'
                       r"'(?:\\.|[^'\\\n])*'", re.S)
    for m in token.finditer(text):
        out.append(text[i:m.start()])
        s = m.group(0)
        out.append(re.sub(r"[^\n]", " ", s) if s[0] == "/" else s)
        i = m.end()
    out.append(text[i:n])
    return "".join(out)


def strip_python(text):
    """Python without comments and docstrings."""
    lines = text.splitlines(keepends=True)
    drop = []  # (start row, col, end row, col)
    prev = tokenize.NEWLINE
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.COMMENT:
                drop.append((*tok.start, *tok.end))
            elif tok.type == tokenize.STRING and prev in (
                    tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
                    tokenize.NL):
                drop.append((*tok.start, *tok.end))
            if tok.type not in (tokenize.COMMENT, tokenize.NL):
                prev = tok.type
    except (tokenize.TokenError, IndentationError):
        return text
    for r0, c0, r1, c1 in reversed(drop):
        if r0 == r1:
            ln = lines[r0 - 1]
            lines[r0 - 1] = ln[:c0] + " " * (c1 - c0) + ln[c1:]
        else:
            lines[r0 - 1] = lines[r0 - 1][:c0] + "\n"
            for r in range(r0, r1 - 1):
                lines[r] = "\n"
            lines[r1 - 1] = " " * c1 + lines[r1 - 1][c1:]
    return "".join(lines)


def strip_hash(text):
    """Shell and make without '#' comments (a '#' that starts a line or
    follows a blank; C preprocessor lines are C's)."""
    return re.sub(r"(^|[ \t])#[^\n]*", r"\1", text, flags=re.M)


def code_of(path, text):
    ext = os.path.splitext(path)[1]
    if ext in (".c", ".h", ".S", ".s", ".ld"):
        return strip_c(text)
    if ext == ".py":
        return strip_python(text)
    if ext in (".sh", ".mk") or os.path.basename(path) == "Makefile":
        return strip_hash(text)
    return text


def files():
    out = subprocess.run(["git", "ls-files", "--cached", "--others",
                          "--exclude-standard"], cwd=REPO, check=True,
                         capture_output=True, text=True).stdout
    return sorted(set(p for p in out.splitlines()
                      if os.path.isfile(os.path.join(REPO, p))))


# --self-test: lines the check must find (named), and lines it must
# let pass, as (path, text).
NAMED = (("user/a.c", "#ifdef __x86_64__"), ("user/a.c", "#if __aarch64__"),
         ("tests/a.py", 'ARCH = "x86_64"'), ("Makefile", "ARCH ?= arm64"),
         ("tools/a.sh", "apt-get install foo:amd64"),
         ("user/a.c", "m = EM_X86_64;"))
PASSED = (("user/a.c", "/* on x86_64, rax */ int x;"),
          ("user/a.c", "int y; // arm64's x0"),
          ("tests/a.py", '"""aarch64 docs"""\nx = 1  # arm64'),
          ("Makefile", "# x86_64 only\nA := b"),
          ("user/a.c", "int arch_prctl_bad;"),
          ("kernel/arch/x86_64/a.c", "#ifdef __x86_64__"),
          ("user/persona/x86_64/a.c", "#ifdef __x86_64__"),
          ("docs/a.md", "x86_64"))


def self_test():
    """The check finds each of NAMED and none of PASSED: 0, else 1."""
    plats = platforms()
    names = pattern(plats)
    bad = 0
    for path, text in NAMED + PASSED:
        found = not allowed(path, plats) and bool(
            names.search(code_of(path, text + "\n")))
        if found != ((path, text) in NAMED):
            print(f"self-test: {path}: {text!r}: "
                  f"{'found' if found else 'missed'}")
            bad += 1
    return 1 if bad else 0


def main():
    if sys.argv[1:] == ["--self-test"]:
        return self_test()
    plats = platforms()
    names = pattern(plats)
    bad = 0
    for path in files():
        if allowed(path, plats):
            continue
        try:
            raw = read(path)
        except OSError:
            continue
        if "\0" in raw:
            continue  # binary
        code = code_of(path, raw)
        for no, (line, orig) in enumerate(zip(code.splitlines(),
                                              raw.splitlines()), 1):
            if names.search(line):
                print(f"{path}:{no}: {orig.strip()}")
                bad += 1
    if bad:
        print(f"{bad} line(s) name a platform outside kernel/arch/ "
              "(docs/platform.md: where a platform may be named)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
