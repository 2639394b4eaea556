"""Loop block devices from the shell (docs/storage.md, user/loop/):
busybox's losetup (-f, -a, -r, -o, -d) on an image file in /tmp
(ramfs) that busybox's mke2fs made, the ext2 server mounting it through
/dev/loop0, files written, unmounted,
`mount -o loop image dir` (busybox's own LOOP_* calls) reading them
back; a loop device whose backing file lies on ext2 (an image mounted
without a loop device); two stacked loop devices (an image on loop1,
ext2 on it, a file there on loop2, ext2 on that: the loop server must
not wait for itself, decision 0041); busybox's mke2fs on a loop device
(it refuses a device /proc/mounts shows as mounted); and a crash of the
loop server under a mounted file system: its calls fail with EIO rather
than hang, lumen restarts the server with every device detached
(nothing of the old attachments survives), the ext2 server does not
write into another image attached to its device since, and the image,
attached again, has what was synced before.
Each step relies on the ones before it."""

import time

IMG = "/tmp/lo.img"
MNT = "/mnt/lo"
OUTER = "/tmp/outer.img"
E2 = "/mnt/e2"
IN = "/mnt/in"
STACK = "/tmp/stack.img"
DEV = "/tmp/dev.img"
DV = "/mnt/dv"


# Each command may take this long on a loaded two-core machine.
T = 90


def lines(*xs):
    return "\n".join(xs)


def mkfs(sh, path, kib):
    sh.check(f"dd if=/dev/zero of={path} bs=1k count={kib} 2>/dev/null", "",
             timeout=120)
    sh.check(f"mke2fs -F -q {path} >/dev/null 2>&1; echo $?", "0",
             timeout=120)


def step_losetup(sh):
    mkfs(sh, IMG, 8192)
    sh.check("losetup -f", "/dev/loop0", timeout=T)
    sh.check(f"losetup -f {IMG} && losetup -a", f"/dev/loop0: 0 {IMG}",
             timeout=T)
    sh.check("blockdev --getsize64 /dev/loop0", "8388608", timeout=T)
    sh.check(f"losetup -r -o 4096 -f {IMG} && losetup /dev/loop1",
             f"/dev/loop1: 4096 {IMG}", timeout=T)
    sh.check("blockdev --getro /dev/loop1", "1", timeout=T)
    sh.check("blockdev --getsize64 /dev/loop1", str(8388608 - 4096), timeout=T)
    sh.check("losetup -d /dev/loop1 && losetup -a", f"/dev/loop0: 0 {IMG}",
             timeout=T)
    sh.check("losetup -f", "/dev/loop1", timeout=T)


def step_mount(sh):
    sh.check(f"mkdir -p {MNT} && mount -t ext2 /dev/loop0 {MNT}; echo $?",
             "0", timeout=T)
    sh.check(f"cd {MNT} && echo hello > a && mkdir d && cat a", "hello",
             timeout=T)
    sh.check("cp /tests/harden d/bin && sync && cmp /tests/harden d/bin"
             " && echo same", "same", timeout=120)
    sh.check(f"cd / && umount {MNT}; echo $?; ls {MNT} | wc -l",
             lines("0", "0"), timeout=T)
    sh.check("losetup -d /dev/loop0; echo $?", "0", timeout=T)


def step_mount_loop(sh):
    sh.check(f"mount -o loop {IMG} {MNT}; echo $?", "0", timeout=T)
    sh.check(f"cd {MNT} && cat a && cmp /tests/harden d/bin && echo same",
             lines("hello", "same"), timeout=120)
    sh.check_re("grep ' /mnt/lo ' /proc/mounts",
                r"^/dev/loop\d /mnt/lo ext2 ", timeout=T)
    sh.check("echo again >> a && sync && cat a", lines("hello", "again"),
             timeout=T)
    sh.check("cd /", "", timeout=T)


def step_on_ext2(sh):
    mkfs(sh, OUTER, 6144)
    sh.check(f"mkdir -p {E2} {IN}", "", timeout=T)
    sh.check(f"/tests/ext2 --mount {OUTER} {E2}; echo $?", "0", timeout=T)
    mkfs(sh, f"{E2}/in.img", 2048)
    sh.check(f"mount -o loop {E2}/in.img {IN}; echo $?", "0", timeout=T)
    sh.check(f"echo inner > {IN}/f && sync && umount {IN}; echo $?", "0",
             timeout=T)
    sh.check(f"mount -o loop {E2}/in.img {IN} && cat {IN}/f", "inner",
             timeout=T)
    sh.check(f"umount {IN}; sync; umount {E2}; echo $?", "0", timeout=T)


def step_stacked(sh):
    mkfs(sh, STACK, 6144)
    sh.check(f"mount -o loop {STACK} {E2}; echo $?", "0", timeout=T)
    mkfs(sh, f"{E2}/in.img", 2048)
    # Before decision 0041 this hung: the one-thread server read in.img
    # from ext2, which waited for the server to read the lower device.
    sh.check(f"mount -o loop {E2}/in.img {IN}; echo $?", "0", timeout=T)
    sh.check_re("grep -c '^/dev/loop[0-9] /mnt/' /proc/mounts", "^3$",
                timeout=T)
    sh.check(f"echo stacked > {IN}/f && cp /tests/harden {IN}/bin && sync",
             "", timeout=120)
    sh.check(f"umount {IN} && mount -o loop {E2}/in.img {IN}; echo $?", "0",
             timeout=T)
    sh.check(f"cat {IN}/f && cmp /tests/harden {IN}/bin && echo same",
             lines("stacked", "same"), timeout=120)
    sh.check(f"umount {IN}; umount {E2}; echo $?", "0", timeout=T)
    sh.check("losetup -a | wc -l", "1", timeout=T)


def step_mke2fs_dev(sh):
    sh.check(f"dd if=/dev/zero of={DEV} bs=1k count=4096 2>/dev/null", "",
             timeout=T)
    sh.check(f"D=$(losetup -f) && losetup $D {DEV} && echo ok", "ok",
             timeout=T)
    # busybox refused "can't format mounted filesystem" while
    # /proc/mounts listed the device files' servers.
    sh.check("mke2fs $D 2>&1 >/dev/null; echo $?", "0", timeout=120)
    sh.check(f"mkdir -p {DV} && mount -t ext2 $D {DV}; echo $?", "0",
             timeout=T)
    sh.check(f"echo fresh > {DV}/f && sync && umount {DV}; echo $?", "0",
             timeout=T)
    sh.check(f"mount -t ext2 $D {DV} && cat {DV}/f", "fresh", timeout=T)
    sh.check(f"umount {DV}; losetup -d $D; echo $?", "0", timeout=T)


def step_crash(sh):
    sh.check(f"cat {MNT}/a", lines("hello", "again"), timeout=T)
    sh.check("dd if=/dev/zero of=/tmp/z.img bs=1k count=8192 2>/dev/null",
             "", timeout=T)
    sh.check("cp /tmp/z.img /tmp/o.img", "", timeout=T)
    start = len(sh.vm.text)
    sh.check("kill -9 $(pidof loop); sleep 3", "", timeout=T)
    # Wait for lumen's word: it writes to the console too.
    sh.vm.pos = start
    sh.expect(r"lumen: started loop", 30)
    time.sleep(0.5)
    sh.vm.pos = len(sh.vm.text)
    sh.check("losetup -a | wc -l", "0", timeout=T)
    # The mount's device, attached to another image: the ext2 server on
    # it must not take it for its own and write there.
    sh.check("D=$(grep ' /mnt/lo ' /proc/mounts|cut -d' ' -f1)", "",
             timeout=T)
    sh.check("losetup $D /tmp/o.img; echo $?", "0", timeout=T)
    sh.check_re(f"(echo x > {MNT}/new && sync {MNT}/new) 2>err.txt; "
                "echo $?", r"^[12]$", timeout=T)
    sh.check_re("cat err.txt", r"(I/O|Input/output) error", timeout=T)
    sh.check("cmp /tmp/o.img /tmp/z.img && echo clean", "clean", timeout=T)
    sh.check("losetup -d $D", "", timeout=T)
    sh.check(f"umount {MNT}; echo $?", "0", timeout=T)
    sh.check(f"mount -o loop {IMG} {MNT} && cat {MNT}/a",
             lines("hello", "again"), timeout=T)
    sh.check(f"umount {MNT}; echo $?", "0", timeout=T)


LOOP_STEPS = [
    ("losetup", step_losetup),
    ("mount", step_mount),
    ("mount_loop", step_mount_loop),
    ("on_ext2", step_on_ext2),
    ("stacked", step_stacked),
    ("mke2fs_dev", step_mke2fs_dev),
    ("crash", step_crash),
]
