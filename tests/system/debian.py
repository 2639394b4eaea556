"""Debian's userland on lux (issue 16, item 9; docs/decisions/0036): the
image `make debian` built (debootstrap minbase + python3, ext2) is the
second disk, which lumen mounts on /debian with lux's /dev and /proc
bound into it (/etc/fstab); from the shell, `chroot /debian` runs
Debian's own bash, ls, grep, sort, tar, gzip and python3, unmodified,
and each step checks their output. The image is attached with QEMU's
snapshot=on, so the cached image never changes; the first disk is a
small empty ext2 image (the /home `make run` has).

The last step reads the console: every system call these programs made
that lux left unimplemented is named there, and it must be one that
docs/syscalls.md records with its reason (KNOWN_ENOSYS)."""

import os
import re
import subprocess

from .shell import StepError

# docs/syscalls.md, "What Debian's programs need": the calls left ENOSYS,
# each with the fallback the program takes.
KNOWN_ENOSYS = {"rseq", "clone3", "timer_create", "copy_file_range"}

# Scripts the boot image carries (root/tests/debian/), copied into the
# Debian root by the first step: a command line must stay short.
SCRIPTS = "/tests/debian"
IN_ROOT = "/tmp/lux"


def lines(*xs):
    return "\n".join(xs)


def drives(virtio, image, work):
    """QEMU's arguments for the two disks: an empty ext2 image made in
    work as vda, the Debian image (never written: snapshot=on) as vdb."""
    if not os.path.exists(image):
        raise OSError(f"{image} is missing (make debian)")
    os.makedirs(work, exist_ok=True)
    vda = os.path.join(work, "vda.img")
    mke2fs = next((p for p in ("/usr/sbin/mke2fs", "/sbin/mke2fs")
                   if os.path.exists(p)), "mke2fs")
    subprocess.run([mke2fs, "-q", "-F", "-t", "ext2", vda, "16M"],
                   check=True, capture_output=True)
    return (["-drive", f"file={vda},format=raw,if=none,id=d0"] +
            virtio("blk", "drive=d0") +
            ["-drive", f"file={image},format=raw,if=none,id=d1,"
             "snapshot=on"] + virtio("blk", "drive=d1"))


def step_mounted(sh):
    sh.check_re("cat /debian/etc/debian_version", r"^12\.\d+$")
    sh.check("mount | grep -E ' on /debian(/dev|/proc)? '",
             lines("/dev/vdb on /debian type ext2 (rw)",
                   "devfs on /debian/dev type devfs (rw)",
                   "procfs on /debian/proc type procfs (rw)"))
    sh.check(f"mkdir -p /debian{IN_ROOT} && cp {SCRIPTS}/* /debian{IN_ROOT}",
             "")


def step_bash(sh):
    sh.check("chroot /debian /bin/bash -c 'echo ${BASH_VERSINFO[0]} $PWD'",
             "5 /", timeout=60)
    sh.check("chroot /debian /bin/bash -c 'cd ../../..; ls -d /debian'",
             "ls: cannot access '/debian': No such file or directory",
             timeout=60)
    # lux's /dev, bound in: the image's own device nodes are no devices
    sh.check("chroot /debian /bin/bash -c 'echo x >/dev/null; echo $?'",
             "0", timeout=60)
    sh.check(f"chroot /debian /bin/bash {IN_ROOT}/procsub.sh 2>&1",
             lines("sub", "got in", "err"), timeout=60)
    sh.check("chroot /debian head -1 /etc/os-release",
             'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"', timeout=60)


def step_ls_color(sh):
    sh.check("chroot /debian ls --color=always -d /usr | cat -v",
             "^[[0m^[[01;34m/usr^[[0m", timeout=60)


def step_grep_sort(sh):
    sh.check(f"chroot /debian /bin/bash {IN_ROOT}/sortgrep.sh",
             lines("1:apple", "3:pear", "1", "root"), timeout=60)


def step_tar_gzip(sh):
    sh.check(f"chroot /debian /bin/bash {IN_ROOT}/targz.sh",
             lines("data", "tt/", "tt/d/", "tt/d/f"), timeout=90)


def step_python(sh):
    sh.check("chroot /debian python3 -c 'import json; print(json.dumps"
             "([6 * 7]))'", "[42]", timeout=180)
    sh.check(f"chroot /debian python3 {IN_ROOT}/db.py",
             '{"rows": [["a", 1], ["b", 2]], "sum": 3, "mem": 42}',
             timeout=180)


def step_not_root(sh):
    """chroot is root's: a user gets EPERM (busybox's chroot says so)."""
    sh.check_re("su lux -c 'chroot /debian /bin/true'; echo $?",
                r"(?s)Operation not permitted.*\n1$", timeout=60)


def step_enosys_recorded(sh):
    named = set(re.findall(r"system call \d+ \((\w+)\) is not implemented",
                           sh.vm.text))
    extra = sorted(named - KNOWN_ENOSYS)
    if extra:
        raise StepError("unimplemented calls docs/syscalls.md does not "
                        f"record: {', '.join(extra)}")


DEBIAN_STEPS = [
    ("mounted", step_mounted),
    ("bash", step_bash),
    ("ls_color", step_ls_color),
    ("grep_sort", step_grep_sort),
    ("tar_gzip", step_tar_gzip),
    ("python", step_python),
    ("not_root", step_not_root),
    ("enosys_recorded", step_enosys_recorded),
]
