"""A full file system (issue 13): boot with 128 MiB, so that ramfs's
limit (half of the memory) is 64 MiB, fill it, and check that what
cannot be stored fails with ENOSPC while what needs no new memory still
works. Each step relies on the ones before it (/tmp full)."""

import re

from .shell import StepError

NOSPC = "No space left on device"


def step_fill(sh):
    sh.check("cd /tmp; Z=/dev/zero", "")
    sh.check("dd if=$Z of=big bs=1M count=200 2>&1 | head -n 1",
             f"dd: error writing 'big': {NOSPC}", timeout=120)
    sh.check_re("df / | tail -n 1", r"^ramfs\s+\d+\s+\d+\s+0\s+100% /$")


def step_write_full(sh):
    # a write that stores nothing fails; rewriting a block needs none
    sh.check_re("echo abc >> big; echo $?", f"write error: {NOSPC}\n1$")
    sh.check_re("dd if=$Z of=hole bs=1 count=1 seek=9999999 2>&1 | head -n1",
                f"^dd: .*'hole': {NOSPC}$")
    sh.check("dd if=$Z of=big bs=4096 count=1 conv=notrunc 2>&1 | tail -n1",
             "1+0 records out")


def step_create_full(sh):
    sh.check("i=0; while mkdir d$i 2>/dev/null; do i=$((i+1)); done", "")
    sh.check("mkdir x; echo $?",
             f"mkdir: can't create directory 'x': {NOSPC}\n1")
    sh.check_re(": > f", f"can't create f: {NOSPC}$")
    sh.check("ln -s t l; echo $?", f"ln: l: {NOSPC}\n1")


def step_free_again(sh):
    # growing a file by truncate stores no bytes (a hole), as on tmpfs
    sh.check("truncate -s 1G big; echo $?; stat -c %s big", "0\n1073741824")
    sh.check("rm big; echo fine > f; cat f", "fine")
    out = sh.run("df / | tail -n 1")
    if re.search(r"\s100% /$", out):
        raise StepError(f"still full after rm: {out}")


FULL_STEPS = [
    ("fill", step_fill),
    ("write_full", step_write_full),
    ("create_full", step_create_full),
    ("free_again", step_free_again),
]
