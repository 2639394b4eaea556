"""Loop block devices from the shell (docs/storage.md, user/loop/):
busybox's losetup (-f, -a, -r, -o, -d) on an image file in /tmp
(ramfs), busybox's mke2fs building an ext2 file system through
/dev/loop0, the ext2 server mounting it, files written, unmounted,
`mount -o loop image dir` (busybox's own LOOP_* calls) reading them
back; a loop device whose backing file lies on ext2 (an image mounted
without a loop device); and a crash of the loop server under a mounted
file system: sync (fsync) fails with EIO rather than hang, lumen restarts the
server with every device detached (nothing of the old attachments
survives), and the image, attached again, has what was synced before.
Each step relies on the ones before it."""

import time

IMG = "/tmp/lo.img"
MNT = "/mnt/lo"
OUTER = "/tmp/outer.img"
E2 = "/mnt/e2"
IN = "/mnt/in"


def lines(*xs):
    return "\n".join(xs)


def step_losetup(sh):
    sh.check(f"dd if=/dev/zero of={IMG} bs=1k count=8192 2>/dev/null; "
             "losetup -f", "/dev/loop0")
    sh.check(f"losetup -f {IMG} && losetup -a", f"/dev/loop0: 0 {IMG}")
    sh.check("blockdev --getsize64 /dev/loop0", "8388608")
    sh.check(f"losetup -r -o 4096 -f {IMG} && losetup /dev/loop1",
             f"/dev/loop1: 4096 {IMG}")
    sh.check("blockdev --getro /dev/loop1; blockdev --getsize64 /dev/loop1",
             lines("1", str(8388608 - 4096)))
    sh.check("losetup -d /dev/loop1 && losetup -a", f"/dev/loop0: 0 {IMG}")
    sh.check("losetup -f", "/dev/loop1")


def step_mkfs(sh):
    sh.check("mke2fs -F -q /dev/loop0 >/dev/null 2>&1; echo $?", "0")
    sh.check(f"mkdir -p {MNT} && mount -t ext2 /dev/loop0 {MNT}; echo $?",
             "0")
    sh.check(f"echo hello > {MNT}/a && mkdir {MNT}/d && "
             f"cp /tests/harden {MNT}/d/bin && sync && cat {MNT}/a",
             "hello")
    sh.check(f"cmp /tests/harden {MNT}/d/bin && echo same", "same")
    sh.check(f"cd / && umount {MNT}; echo $?; ls {MNT} | wc -l",
             lines("0", "0"))
    sh.check("losetup -d /dev/loop0; echo $?", "0")


def step_mount_loop(sh):
    sh.check(f"mount -o loop {IMG} {MNT}; echo $?", "0")
    sh.check(f"cat {MNT}/a && cmp /tests/harden {MNT}/d/bin && echo same",
             lines("hello", "same"))
    sh.check_re("grep ' /mnt/lo ' /proc/mounts",
                r"^/dev/loop\d /mnt/lo ext2 ")
    sh.check(f"echo again >> {MNT}/a && sync && cat {MNT}/a",
             lines("hello", "again"))


def step_on_ext2(sh):
    sh.check(f"dd if=/dev/zero of={OUTER} bs=1k count=6144 2>/dev/null && "
             f"mke2fs -F -q {OUTER} >/dev/null 2>&1; echo $?", "0")
    sh.check(f"mkdir -p {E2} {IN} && /tests/ext2 --mount {OUTER} {E2}; "
             "echo $?", "0")
    sh.check(f"dd if=/dev/zero of={E2}/in.img bs=1k count=2048 2>/dev/null"
             f" && mke2fs -F -q {E2}/in.img >/dev/null 2>&1; echo $?", "0")
    sh.check(f"mount -o loop {E2}/in.img {IN} && echo inner > {IN}/f && "
             f"sync && umount {IN}; echo $?", "0")
    sh.check(f"mount -o loop {E2}/in.img {IN} && cat {IN}/f", "inner")
    sh.check(f"umount {IN}; sync; umount {E2}; echo $?", "0")


def step_crash(sh):
    sh.check(f"cat {MNT}/a", lines("hello", "again"))
    start = len(sh.vm.text)
    # The messages go to files: lumen writes to the console too.
    sh.check(f"kill -9 $(pidof loop); echo x > {MNT}/new; "
             f"sync {MNT}/new 2>err.txt; echo $? > rc.txt; sleep 3", "")
    sh.vm.pos = start
    sh.expect(r"lumen: started loop", 30)
    time.sleep(0.5)
    sh.vm.pos = len(sh.vm.text)
    sh.check("cat rc.txt", "1")
    sh.check_re("cat err.txt", r"I/O error")
    sh.check("losetup -a | wc -l", "0")
    sh.check(f"umount {MNT}; echo $?", "0")
    sh.check(f"mount -o loop {IMG} {MNT} && cat {MNT}/a",
             lines("hello", "again"))
    sh.check(f"umount {MNT}; echo $?", "0")


LOOP_STEPS = [
    ("losetup", step_losetup),
    ("mkfs", step_mkfs),
    ("mount_loop", step_mount_loop),
    ("on_ext2", step_on_ext2),
    ("crash", step_crash),
]
