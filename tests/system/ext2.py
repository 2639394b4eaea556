"""The ext2 server from the shell (docs/storage.md): a copy of the image
the host's mke2fs made (/tests/ext2.img) is mounted, busybox works on it
(files, directories, links, rename, truncate, df), it is unmounted, and
the image comes back to the host (gzip | base64 on the console), where
`e2fsck -fn` must find it clean and `debugfs` must read what lux wrote
byte for byte. Each step relies on the ones before it."""

import base64
import gzip
import os
import re
import subprocess
import tempfile

import platforms

from .shell import StepError

IMG = "/tmp/e2.img"
MNT = "/mnt/e2"
# A file of the image tree whose host copy the last step compares.
BINARY = "harden"
HOST_BINARY = os.path.join(os.environ.get("B") or os.path.join(
    "build", platforms.chosen()), "user", "tests", BINARY)
E2PATH = os.environ.get("PATH", "") + ":/usr/sbin:/sbin"


def lines(*xs):
    return "\n".join(xs)


def step_mount(sh):
    sh.check(f"cp /tests/ext2.img {IMG} && mkdir -p {MNT}", "")
    sh.check(f"/tests/ext2 --mount {IMG} {MNT}; echo $?", "0")
    sh.check(f"cd {MNT} && cat hello.txt link",
             lines("hello from the host's mke2fs", "nested"))
    sh.setup.append(f"cd {MNT}")


def step_work(sh):
    sh.check(f"mkdir -p w/a/b && cp /tests/{BINARY} w/a/b/bin", "")
    sh.check(f"cmp /tests/{BINARY} w/a/b/bin && echo same", "same")
    sh.check("echo one > w/f; echo two >> w/f; ln w/f w/g; cat w/g",
             lines("one", "two"))
    sh.check("ln -s a/b/bin w/l && readlink w/l", "a/b/bin")
    sh.check("mv w/a w/moved && ls -1 w", lines("f", "g", "l", "moved"))
    sh.check("truncate -s 5000 w/g && stat -c '%s %h' w/f", "5000 2")
    sh.check("rm w/l && mkdir gone && rmdir gone && ls w | wc -l", "3")
    sh.check_re("stat -f -c '%T %S' .", r"^ext2/ext3 1024$")


def step_umount(sh):
    sh.check("cd / && umount /mnt/e2; echo $?", "0")
    sh.check(f"ls {MNT} | wc -l", "0")


def step_host_check(sh):
    out = sh.run(f"gzip -c {IMG} | base64", timeout=120)
    try:
        image = gzip.decompress(base64.b64decode(re.sub(r"\s", "", out)))
    except Exception as e:
        raise StepError(f"the image did not come back: {e}")
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "e2.img")
        with open(path, "wb") as f:
            f.write(image)
        env = dict(os.environ, PATH=E2PATH)
        fsck = subprocess.run(["e2fsck", "-fn", path], env=env,
                              capture_output=True, text=True)
        if fsck.returncode != 0:
            raise StepError(f"e2fsck -fn exit {fsck.returncode}: "
                            f"{fsck.stdout.strip()[-400:]}")
        cat = subprocess.run(["debugfs", "-R", "cat /w/moved/b/bin", path],
                             env=env, capture_output=True)
        with open(HOST_BINARY, "rb") as f:
            want = f.read()
        if cat.stdout != want:
            raise StepError(f"debugfs reads {len(cat.stdout)} bytes of "
                            f"/w/moved/b/bin, not the {len(want)} of "
                            f"{BINARY}")
        cat = subprocess.run(["debugfs", "-R", "cat /w/f", path], env=env,
                             capture_output=True)
        if cat.stdout != b"one\ntwo\n" + bytes(5000 - 8):
            raise StepError(f"debugfs reads /w/f as {cat.stdout[:40]!r}")


EXT2_STEPS = [
    ("mount", step_mount),
    ("work", step_work),
    ("umount", step_umount),
    ("host_check", step_host_check),
]
