#!/usr/bin/env python3
"""The lux test runner: `make test`, or `tests/run.py [FILTER...]`.

Runs, in order: the format check, the check of docs/syscalls.md against
the code, the check that no file outside kernel/arch/ names a platform,
the host unit tests (cmocka), and the
QEMU boot tests, the last of which boot the in-kernel self tests
(ktest=<group>) on 1-8 CPUs with one result per case. With LUX_UTEST=1
(or a filter starting with `utest`) it also boots the user-space test
programs (tests/user/, `init=/tests/runner`), one result per case, and
the system tests (tests/system/) drive the shell on the serial console,
one result per step. Prints
`PASS <name>` or `FAIL <name>: <reason>` per test and ends with exactly
`N passed, N failed`; exits 1 if anything failed.
A FILTER (several allowed) selects the tests whose name contains it.
A test that cannot run (missing tool, missing file) fails; nothing is
ever skipped silently. Logs of every step go to build/<arch>/test-logs/
(<B>/test-logs with B=).
"""

import json
import os
import re
import signal
import subprocess
import sys

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, TESTS_DIR)
import platforms  # noqa: E402
import qemu  # noqa: E402
from qemu import Qemu, QemuError  # noqa: E402
import system  # noqa: E402
import disk  # noqa: E402
import net  # noqa: E402

REPO = os.path.dirname(TESTS_DIR)
# The platform (`make test ARCH=...`) and its build directory (B=...);
# kernel/arch/<ARCH>/platform.py says how QEMU boots it.
ARCH = platforms.chosen()
BUILD = os.environ.get("B") or f"build/{ARCH}"
PLATFORM = platforms.load(ARCH)
qemu.PROGRAM = PLATFORM["QEMU"]
os.environ["LUX_UNAME_MACHINE"] = PLATFORM["UNAME"]  # tests/system/steps.py
# The host's layers (format, docs, unit tests, the benchmark tools) test no
# guest: they run once, with the platform this machine is (make test runs
# every platform, docs/testing.md).
HOST_RUN = PLATFORM["UNAME"] == os.uname().machine
KBIN = f"{BUILD}/lux.bin"
INITRD = f"{BUILD}/initrd.cpio"
ISO = f"{BUILD}/test.iso"  # `make iso` with the tests' command line
HOST_BUILD = "build/host"
LOGS = os.path.join(BUILD, "test-logs")  # each build's own
OVMF = os.environ.get("OVMF") or "/usr/share/ovmf/OVMF.fd"
ACCEL = os.environ.get("ACCEL") or "tcg"

BOOT_TIMEOUT = 120  # seconds; TCG on a loaded two-core machine
UEFI_TIMEOUT = 240
KTEST_TIMEOUT = 420  # a failing case may wait out a 20-30 s deadline
UTEST_TIMEOUT = 900  # every user test program, one after the other
UNIT_TIMEOUT = 120

# A normal boot runs busybox's echo as init and ends when it exits.
INIT = "init=/bin/busybox -- echo user space ok"
HALT = r"^lux: init exited with status 0$"
KTEST_DONE = r"^lux: self tests done\.$"
# Seen before the expected line, these end a boot test at once.
BROKEN = (r"^.*(KERNEL FAULT|PANIC on CPU|lux: fault while reporting"
          r"|lux: all CPUs stopped).*$")
ISO_CMDLINE = "lux.test=iso two words " + INIT
# The user-space issue's acceptance line, run by Debian's unmodified busybox.
BUSYBOX_CMDLINE = ('init=/bin/busybox -- sh -c '
                   '"x=$((6*7)); echo $x; true && echo ok"')


class Runner:
    def __init__(self, filters):
        self.filters = filters
        self.passed = 0
        self.failed = 0

    def wanted(self, name):
        return not self.filters or any(f in name for f in self.filters)

    def report(self, name, reason=None, seconds=None, tail=()):
        """Print one result line; `reason` None means the test passed."""
        took = f" ({seconds:.1f} s)" if seconds is not None else ""
        if reason is None:
            self.passed += 1
            print(f"PASS {name}{took}", flush=True)
            return
        self.failed += 1
        print(f"FAIL {name}{took}: {reason}", flush=True)
        for line in tail:
            print(f"    | {line}", flush=True)


def log_path(name):
    return os.path.join(LOGS, name + ".log")


def run_logged(name, cmd, env=None, timeout=None):
    """Run `cmd`, keep its output in the log of test `name`.
    Return (exit status or None on timeout, output lines)."""
    path = log_path(name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout, env=env)
        rc, out = p.returncode, p.stdout
    except subprocess.TimeoutExpired as e:
        rc, out = None, e.stdout or b""
    except OSError as e:
        rc, out = 127, f"cannot run {cmd[0]}: {e.strerror}\n".encode()
    text = out.decode("utf-8", "replace")
    with open(path, "w", encoding="utf-8") as f:
        f.write("# " + " ".join(cmd) + "\n" + text)
    return rc, text.splitlines()


def make_cmd(*args):
    """A `make` command for a sub-build, with its environment. Under
    `make -jN test` the parent's jobserver descriptors are not passed on,
    so the sub-make drops that reference and keeps its own -jN."""
    flags = " ".join(w for w in os.environ.get("MAKEFLAGS", "").split()
                     if not w.startswith("--jobserver"))
    return (["make", "-s", f"ARCH={ARCH}", f"B={BUILD}", *args],
            dict(os.environ, MAKEFLAGS=flags))


def status_text(rc):
    if rc is None:
        return "timed out"
    if rc < 0:
        return f"killed by {signal.Signals(-rc).name}"
    return f"exit status {rc}"


def first_error(lines):
    """The first compiler or make error in `lines`, else the last line."""
    for line in lines:
        if re.search(r"\berror\b|\*\*\*", line):
            return line.strip()
    return next((x.strip() for x in reversed(lines) if x.strip()), "")


# ---- format -----------------------------------------------------------------

def test_format(r):
    rc, out = run_logged("format", *make_cmd("format-check"), timeout=300)
    if rc == 0:
        return r.report("format")
    files = sorted({m.group(1) for line in out
                    if (m := re.match(r"(\S+?):\d+:\d+: (?:error|warning)",
                                      line))})
    if files:
        reason = (f"{len(files)} file(s) not formatted, run `make format`: "
                  + ", ".join(files[:5]) + (" ..." if len(files) > 5 else ""))
        return r.report("format", reason)
    r.report("format", f"make format-check: {status_text(rc)}", tail=out[-15:])


def test_docs(r):
    """docs/syscalls.md's Where column agrees with the code
    (tools/syscall_where.py: the kernel's table, the personality's cases)
    and names every call of every platform; the check itself finds a
    missing row (--self-test)."""
    name = "docs/syscalls"
    if not r.wanted(name):
        return
    rc, out = run_logged(name, [sys.executable, "tools/syscall_where.py",
                                "--self-test"], timeout=60)
    if rc == 0:
        rc, out = run_logged(name, [sys.executable, "tools/syscall_where.py"],
                             timeout=60)
    if rc == 0:
        return r.report(name)
    r.report(name, f"{len(out)} disagreement(s) with the code "
             f"({status_text(rc)})", tail=out[:20])


def test_arch_names(r):
    """No file outside kernel/arch/ names a platform (tools/arch_names.py,
    docs/platform.md), and the check itself finds what it must."""
    name = "docs/platform-names"
    if not r.wanted(name):
        return
    rc, out = run_logged(name, [sys.executable, "tools/arch_names.py",
                                "--self-test"], timeout=60)
    if rc == 0:
        rc, out = run_logged(name, [sys.executable, "tools/arch_names.py"],
                             timeout=60)
    if rc == 0:
        return r.report(name)
    r.report(name, f"{status_text(rc)}", tail=out[:20])


# ---- host unit tests --------------------------------------------------------

TAP_RESULT = re.compile(r"^(not )?ok (\d+)(?: - (.*))?$")


def parse_tap(lines):
    """Return (planned count, [(ok, case name, reason)]) from cmocka TAP."""
    planned, results = 0, []
    for line in lines:
        if m := re.match(r"^1\.\.(\d+)$", line):
            planned += int(m.group(1))
        elif m := TAP_RESULT.match(line):
            name = (m.group(3) or f"#{m.group(2)}").strip()
            results.append((not m.group(1), name, []))
        elif line.startswith("# ") and results and not results[-1][0]:
            # cmocka prints a failure's details after its `not ok` line:
            # the message, then where. Group summaries ("# not ok - group")
            # are not details.
            if not re.match(r"# (not )?ok - ", line):
                results[-1][2].append(line[2:].strip())
    return planned, [(ok, name, "; ".join(d[:2])) for ok, name, d in results]


def unit_may_match(r, fixed_names):
    """Could a filter select a unit test? Case names are only known after
    running the binaries, so a filter that names no fixed test counts."""
    if not r.filters:
        return True
    for f in r.filters:
        if f in "unit/" or f.startswith("unit/"):
            return True
        if "/" not in f and not any(f in n for n in fixed_names):
            return True
    return False


def test_unit(r):
    rc, out = run_logged("unit/build", *make_cmd("unit"), timeout=600)
    if rc != 0:
        return r.report("unit/build", f"make unit: {status_text(rc)}: "
                        + first_error(out), tail=out[-15:])
    names = sorted(os.listdir(HOST_BUILD)) if os.path.isdir(HOST_BUILD) else []
    bins = [n for n in names if n.startswith("test_") and "." not in n
            and os.access(os.path.join(HOST_BUILD, n), os.X_OK)]
    if not bins:
        return r.report("unit/build", f"no {HOST_BUILD}/test_* programs built")
    env = dict(os.environ, CMOCKA_MESSAGE_OUTPUT="TAP")
    for b in bins:
        run_unit_binary(r, b, env)


def run_unit_binary(r, b, env):
    rc, out = run_logged(f"unit/{b}", [os.path.join(HOST_BUILD, b)], env,
                         UNIT_TIMEOUT)
    planned, results = parse_tap(out)
    shown = False
    for ok, case, reason in results:
        name = f"unit/{b}/{case}"
        if r.wanted(name):
            shown = True
            r.report(name, None if ok else reason or "failed")
    if not (shown or r.wanted(f"unit/{b}")):
        return
    failures = sum(1 for ok, _, _ in results if not ok)
    if rc is None or rc < 0:
        r.report(f"unit/{b}", status_text(rc) + f" after {len(results)} "
                 "test(s)", tail=out[-15:])
    elif rc != 0 and failures == 0:
        r.report(f"unit/{b}", f"{status_text(rc)} with no failed test",
                 tail=out[-15:])
    elif not results:
        r.report(f"unit/{b}", "printed no TAP results", tail=out[-15:])
    elif len(results) < planned:
        r.report(f"unit/{b}", f"ran {len(results)} of {planned} tests",
                 tail=out[-15:])


# ---- boot tests -------------------------------------------------------------

def mem_mib(mem):
    n, unit = int(mem[:-1]), mem[-1].upper()
    return n * 1024 if unit == "G" else n


class Boot:
    """One QEMU boot: how to start it and what a good console shows."""

    def __init__(self, name, smp=2, mem="512M", cmdline="", iso=False,
                 uefi=False, usable=None, fault=False, ktest=None,
                 output=("user space ok",), cpu=None, log=(),
                 timeout=None):
        self.name, self.smp, self.mem, self.cmdline = name, smp, mem, cmdline
        self.iso, self.uefi, self.fault = iso, uefi, fault
        self.output = output  # lines init prints, in order
        # QEMU's CPU (make's QEMU_CPU, default max); kernel lines expected
        # (and the platform's own)
        self.cpu = cpu or os.environ.get("QEMU_CPU") or "max"
        self.log = log + PLATFORM.get("LOGS", {}).get(name, ())
        self.ktest = ktest  # in-kernel test group: one result per case
        if ktest:
            self.cmdline = f"ktest={ktest}"
        mib = mem_mib(mem)
        self.usable = usable or (mib * 3 // 4, mib)
        self.timeout = timeout or (UEFI_TIMEOUT if uefi else
                        KTEST_TIMEOUT if ktest else BOOT_TIMEOUT)

    def qemu_args(self):
        args = PLATFORM["machine"](ACCEL) + [
            "-cpu", self.cpu, "-smp", str(self.smp), "-m", self.mem,
            "-display", "none", "-no-reboot", "-serial", "stdio",
            "-monitor", "none",
            "-nic", "none"]  # q35 would add a NIC on QEMU's network
        if self.uefi:
            args += ["-bios", OVMF]
        if self.iso:
            return args + ["-cdrom", ISO]
        return args + ["-kernel", KBIN, "-initrd", INITRD,
                       "-append", self.cmdline]

    def virtio(self, kind, props):
        """QEMU's arguments for a virtio device (blk, net) with props on
        the platform's bus (platform.py)."""
        return PLATFORM["virtio"](kind, props)


BOOTS = [
    Boot("boot/direct-smp1", smp=1, cmdline=INIT),
    Boot("boot/direct-smp2", smp=2, cmdline=INIT),
    Boot("boot/direct-smp4", smp=4, cmdline=INIT),
    Boot("boot/direct-smp8", smp=8, cmdline=INIT),
    Boot("boot/mem-128M", mem="128M", usable=(100, 128), cmdline=INIT),
    Boot("boot/mem-8G", mem="8G", usable=(7900, 8192), cmdline=INIT),
    Boot("boot/initrd", cmdline="lux.test=hello one two " + INIT),
] + [  # each deliberate fault, and each protection, must be reported
    Boot(f"boot/fault-{kind}", cmdline=f"fault={kind}",
         smp=4 if kind in ("page", "stack", "panic") else 2, fault=lines)
    for kind, lines in PLATFORM["FAULTS"].items()
] + [
    Boot("boot/busybox", smp=2, cmdline=BUSYBOX_CMDLINE, output=("42", "ok")),
    # A root fork bomb to the thread maximum of 1 GiB (about 4,000), then
    # a kill of its group: a new program within 30 s (issue 13: minutes).
    Boot("boot/exhaust-1G", smp=2, mem="1G", timeout=300, output=(
        "utest: exhaust/root_bomb: PASS",),
        cmdline="init=/sbin/lumen -- /tests/exhaust root_bomb"),
    Boot("boot/paging-4level", smp=4, cmdline=BUSYBOX_CMDLINE,
         output=("42", "ok"), cpu="max,la57=off",
         log=(r"^lux: paging: 4 levels$",)),
    # Hardware grants, as PID 1 (tests/user/hw.c): one line per case.
    Boot("boot/hw-grant", smp=2, cmdline="init=/tests/hw",
         output=tuple(f"utest: hw/{c}: PASS" for c in (
             "grant_rules", "ports", "irq_loopback", "console_output_only",
             "fork_not_inherited", "exec_keeps_grants"))),
    # The driver mechanism, as PID 1 (tests/user/drv.c).
    Boot("boot/drv-grant", smp=2, cmdline="init=/tests/drv",
         output=tuple(f"utest: drv/{c}: PASS" for c in (
             "mmio_rules", "mmio_map", "mmio_fork", "dma_pages", "msi",
             "refused_user"))),
    Boot("boot/iso-bios", smp=4, iso=True, cmdline=ISO_CMDLINE),
    Boot("boot/iso-uefi", smp=4, iso=True, uefi=True, cmdline=ISO_CMDLINE),
] + [Boot(f"ktest/smp{n}", smp=n, ktest="sched") for n in (1, 2, 4, 8)]
BOOTS = [b for b in BOOTS if not b.name.startswith(PLATFORM["SKIP"])]


def one_line(text, pattern, what):
    """The match of `pattern` in the console text; exactly one expected."""
    found = list(re.finditer(pattern, text, re.M))
    if len(found) != 1:
        raise QemuError(f"{len(found)} {what} lines, expected 1")
    return found[0]


def check_normal_boot(vm, boot):
    """Wait for the end of a normal boot, then check what it printed."""
    vm.expect(HALT, boot.timeout, fail=BROKEN)
    text = vm.text
    for pattern in boot.log:
        one_line(text, pattern, pattern)
    pos = 0
    for line in boot.output:
        m = re.compile("^" + re.escape(line) + "$", re.M).search(text, pos)
        if not m:
            raise QemuError(f'init did not print "{line}"')
        pos = m.end()
    got = one_line(text, r'^lux: cmdline "(.*)"$', "cmdline").group(1)
    if got != boot.cmdline:
        raise QemuError(f'cmdline "{got}", expected "{boot.cmdline}"')
    m = one_line(text, r'^lux: module 0: (\d+) bytes "(.*)"$', "module 0")
    size = os.path.getsize(INITRD)
    if int(m.group(1)) != size:
        raise QemuError(f"module 0 is {m.group(1)} bytes, {INITRD} {size}")
    m = one_line(text, r"^lux: memory (\d+) MiB usable, (\d+) MiB free$",
                 "memory")
    usable, free = int(m.group(1)), int(m.group(2))
    lo, hi = boot.usable
    if not lo <= usable <= hi:
        raise QemuError(f"{usable} MiB usable, expected {lo} to {hi}")
    if not 0 < free <= usable:
        raise QemuError(f"{free} MiB free of {usable} MiB usable")
    m = one_line(text, r"^lux: (\d+) of (\d+) CPUs online$", "CPUs online")
    if (int(m.group(1)), int(m.group(2))) != (boot.smp, boot.smp):
        raise QemuError(f"{m.group(0)[5:]}, expected {boot.smp} of "
                        f"{boot.smp}")


def check_fault(vm, boot):
    """A deliberate fault: the report's lines in order (boot.fault), a
    backtrace through the faulting function, all CPUs down."""
    t = boot.timeout
    vm.expect(boot.fault[0], t, fail=HALT)
    for line in boot.fault[1:]:
        vm.expect(line, t)
    start = vm.expect(r"^backtrace:$", t).end()
    end = vm.expect(r"^lux: all CPUs stopped\.$", t).start()
    frames = re.findall(r"^\s+0x[0-9a-fA-F]+ ([A-Za-z_.$][\w.$]*)",
                        vm.text[start:end], re.M)
    for sym in ("fault_trigger", "kmain"):
        if sym not in frames:
            raise QemuError(f"backtrace lacks {sym}: {' '.join(frames)}")


# The lines of ktest.c: one per case, then the summary.
KTEST_LINE = (r"^ktest: (?:(\S+)/(\S+): (PASS|FAIL)(?: (.*))?"
              r"|(\d+) passed, (\d+) failed)\n")


def check_ktest(r, vm, boot, shown):
    """Report each case of an in-kernel test boot as it ends, as
    `<boot>/<group>/<case>`; then check the summary agrees with them."""
    counts = {"PASS": 0, "FAIL": 0}
    last = vm.elapsed()
    while True:
        try:
            m = vm.expect(KTEST_LINE, max(boot.timeout - vm.elapsed(), 0),
                          fail=BROKEN)
        except QemuError:
            if vm.elapsed() < boot.timeout:
                raise
            raise QemuError(f"timeout after {boot.timeout} s, "
                            f"{sum(counts.values())} case(s) ended")
        if m.group(5) is not None:
            break
        counts[m.group(3)] += 1
        name = f"{boot.name}/{m.group(1)}/{m.group(2)}"
        if r.wanted(name):
            shown.append(name)
            r.report(name, None if m.group(3) == "PASS" else
                     m.group(4) or "failed", vm.elapsed() - last)
        last = vm.elapsed()
    passed, failed = int(m.group(5)), int(m.group(6))
    if (passed, failed) != (counts["PASS"], counts["FAIL"]):
        raise QemuError(f"summary says {passed} passed, {failed} failed; "
                        f"the case lines {counts['PASS']} and "
                        f"{counts['FAIL']}")
    if passed + failed == 0:
        raise QemuError(f"no {boot.ktest} test ran")
    vm.expect(KTEST_DONE, BOOT_TIMEOUT, fail=BROKEN)


def ktest_may_match(r, boot, fixed_names):
    """Could a filter select this ktest boot or one of its cases? Case
    names (<boot>/<group>/<case>) are only known once it runs, so a
    filter without '/' that names no fixed test counts, as for units."""
    if not r.filters or r.wanted(boot.name):
        return True
    prefix = f"{boot.name}/{boot.ktest}/"
    for f in r.filters:
        if "/" not in f:
            if not any(f in n for n in fixed_names):
                return True
        elif f in prefix or any(prefix.endswith(f[:i]) and "/" not in f[i:]
                                for i in range(1, len(f))):
            return True
    return False


def run_boot(r, boot):
    need = [ISO] if boot.iso else [KBIN, INITRD]
    if boot.uefi:
        need.append(OVMF)
    missing = [f for f in need if not os.path.exists(f)]
    if missing:
        return r.report(boot.name, "missing " + ", ".join(missing))
    vm = Qemu(boot.qemu_args(), log_path(boot.name))
    shown = []  # ktest cases reported
    try:
        with vm:
            if boot.ktest:
                check_ktest(r, vm, boot, shown)
            else:
                (check_fault if boot.fault else check_normal_boot)(vm, boot)
    except QemuError as e:
        return r.report(boot.name, str(e), vm.elapsed(), vm.tail(15))
    if not boot.ktest or shown or r.wanted(boot.name):
        r.report(boot.name, None, vm.elapsed())


# ---- user-space tests in the image (tests/user/) -------------------------

# The runner's lines: a result per case, a crashed program, the end.
UTEST_LINE = (r"^utest: (?:(\S+)/(\S+): (PASS|FAIL)(?: (.*))?"
              r"|(\S+): exited (.*)|(done))\n")
# lumen and its servers boot: the user tests and the system tests run
# through lumen in every `make test`. Set to False (while lumen is
# broken, say) and the default boots start the runner as init, with the
# programs that need no servers (the kernel console is output only: no
# shell without the tty server); the lumen boots then run only when a filter names them (`lumen`).
LUMEN_READY = True
# The runner's programs (tests/user/runner.c) that need the servers.
SERVER_PROGRAMS = ("file", "perm", "devproc", "jobctl", "faults", "bypass",
                   "sockname", "inet", "shm", "sysv", "small", "fmap",
                   "chroot", "debcalls", "loop")


def kernel_only_programs():
    """The runner's list of programs without SERVER_PROGRAMS."""
    with open(os.path.join(REPO, "tests/user/runner.c")) as f:
        m = re.search(r"programs\[\] = \{(.*?)\};", f.read(), re.S)
    names = re.findall(r'"(\w+)"', m.group(1)) if m else []
    return " ".join(n for n in names if n not in SERVER_PROGRAMS)


UTEST_CMDLINE = f"init=/tests/runner -- /tests {kernel_only_programs()}"
# lumen runs the command instead of the login shell and exits with it.
UTEST_LUMEN_CMDLINE = "init=/sbin/lumen -- /tests/runner /tests"


def user_boot(name, smp, cmdline):
    boot = Boot(name, smp=smp, cmdline=cmdline)
    boot.timeout = UTEST_TIMEOUT
    return boot


def chan_boot(smp):
    """The request protocol's own boot: tests/user/chan.c runs as PID 1,
    serves a tiny tree from threads and checks the kernel's side."""
    boot = Boot(f"chan/smp{smp}", smp=smp, cmdline="init=/tests/chan")
    boot.timeout = BOOT_TIMEOUT
    return boot


if LUMEN_READY:
    USER_BOOTS = ([user_boot(f"utest/smp{n}", n, UTEST_LUMEN_CMDLINE)
                   for n in (1, 4)] + [chan_boot(2), chan_boot(1)] +
                  # exec before any file server: from the boot image
                  [user_boot("utest/bare", 2,
                             "init=/tests/runner -- /tests exec")])
else:
    USER_BOOTS = ([user_boot(f"utest/smp{n}", n, UTEST_CMDLINE)
                   for n in (1, 4)] +
                  [chan_boot(2), chan_boot(1)] +
                  [user_boot(f"utest/lumen-smp{n}", n, UTEST_LUMEN_CMDLINE)
                   for n in (1, 4)])

# The system-call fuzzer (tests/user/fuzz.c, docs/testing.md): on 1 and 4
# CPUs, FUZZ_CALLS calls as root and as uid 1000, then every regression
# seed, then an ordinary program (devproc) to see that the system still
# answers. A panic fails the boot (BROKEN), a hang its timeout or the
# fuzzer's own FAIL line.
FUZZ_CALLS = 5000
# Seeds that once found a kernel bug: (seed, uid, first child, calls, bug).
# tests/user/fuzzreg.c has each bug reduced to the calls that showed it.
FUZZ_REGRESSIONS = [
    (3, 0, 0, 8000, "child 53: a blocking eventfd write of more than the "
     "room left spun in the kernel, deaf to SIGKILL; child 35 (on some "
     "runs): a signal frame written under the signal lock deadlocked "
     "with the alarm timer and a TLB shootdown"),
    (11, 1000, 0, 4000, "fcntl with high bits in the descriptor's register "
     "indexed the close-on-exec bitmap out of bounds: KERNEL FAULT"),
]


def fuzz_boot(smp, seeds):
    runs = [f"fuzz,-s,{seeds[0]},-n,{FUZZ_CALLS}",
            f"fuzz,-s,{seeds[1]},-n,{FUZZ_CALLS},-u,1000"]
    runs += [f"fuzz,-s,{s},-u,{u},-c,{c},-n,{n}"
             for s, u, c, n, _ in FUZZ_REGRESSIONS]
    cmdline = f"{UTEST_LUMEN_CMDLINE} {' '.join(runs)} devproc"
    boot = Boot(f"fuzz/smp{smp}", smp=smp, cmdline=cmdline)
    boot.timeout = UTEST_TIMEOUT
    return boot


if LUMEN_READY:
    USER_BOOTS += [fuzz_boot(1, (1, 2)), fuzz_boot(4, (5, 6))]

# System tests (tests/system/): the shell on the serial console, through
# lumen and the tty server (the kernel reads no console input).
SYSTEM_TIMEOUT = 180  # to the first prompt
SYSTEM_BOOTS = [
    (Boot("system/lumen", smp=4, cmdline="init=/sbin/lumen"), system.STEPS),
    (Boot("system/lumen-smp1", smp=1, cmdline="init=/sbin/lumen"),
     system.STEPS),
    (Boot("system/full", smp=2, mem="128M", cmdline="init=/sbin/lumen"),
     system.FULL_STEPS),
    (Boot("system/ext2", smp=2, cmdline="init=/sbin/lumen"),
     system.EXT2_STEPS),
    (Boot("system/loop", smp=4, cmdline="init=/sbin/lumen"),
     system.LOOP_STEPS),
    (Boot("system/loop-smp1", smp=1, cmdline="init=/sbin/lumen"),
     system.LOOP_STEPS),
]
# Debian's userland from the shell (tests/system/debian.py), where the
# Makefile names the platform's image (DEBIAN_IMG, built by `make debian`).
DEBIAN_IMG = os.environ.get("DEBIAN_IMG", "")
if DEBIAN_IMG:
    SYSTEM_BOOTS.append((Boot("system/debian", smp=2, cmdline=
                              "init=/sbin/lumen"), system.DEBIAN_STEPS))


def gated(r, name):
    """Before LUMEN_READY, a lumen boot runs only when a filter names it."""
    return (LUMEN_READY or "lumen" not in name
            or any("lumen" in f for f in r.filters))


def check_utest(r, vm, boot, shown):
    """Report each user test case as `<boot>/<prog>/<case>` as it ends, and
    a program that crashed or hung as `<boot>/<prog>`; wait for the
    runner's `utest: done`."""
    cases, last = 0, vm.elapsed()
    while True:
        try:
            m = vm.expect(UTEST_LINE, max(boot.timeout - vm.elapsed(), 0),
                          fail=f"{BROKEN}|^lux: cannot start.*$")
        except QemuError:
            if vm.elapsed() < boot.timeout:
                raise
            raise QemuError(f"timeout after {boot.timeout} s, "
                            f"{cases} case(s) ended")
        if m.group(7):
            break
        if m.group(5):
            name, reason = f"{boot.name}/{m.group(5)}", "exited " + m.group(6)
        else:
            cases += 1
            name = f"{boot.name}/{m.group(1)}/{m.group(2)}"
            reason = None if m.group(3) == "PASS" else m.group(4) or "failed"
        if r.wanted(name):
            shown.append(name)
            r.report(name, reason, vm.elapsed() - last)
        last = vm.elapsed()
    if cases == 0:
        raise QemuError("no user test case ran")
    # persona/nosys makes system call 335 twice; the kernel names it once
    # per boot, when the personality makes it again
    name = f"{boot.name}/persona/nosys_named_once"
    if r.wanted(name) and "utest: persona/nosys:" in vm.text:
        n = vm.text.count("system call 335 (unknown) is not implemented")
        shown.append(name)
        r.report(name, None if n == 1 else f"named {n} times, not once")


def user_may_match(r, boot, fixed_names):
    """Could a filter select this boot or one of its cases, which are
    named `<boot>/<prog>/<case>` and known only once it runs?"""
    if not r.filters or r.wanted(boot.name):
        return True
    head = boot.name + "/"
    for f in r.filters:
        if f.count("/") <= 1 and not any(f in n for n in fixed_names):
            return True  # may name a program or a case
        if any(head.endswith(f[:i]) and f[i:].count("/") <= 1
               for i in range(1, len(f))):
            return True
    return False


def run_user_boot(r, boot):
    missing = [f for f in (KBIN, INITRD) if not os.path.exists(f)]
    if missing:
        return r.report(boot.name, "missing " + ", ".join(missing))
    vm = Qemu(boot.qemu_args(), log_path(boot.name))
    shown = []
    try:
        with vm:
            check_utest(r, vm, boot, shown)
    except QemuError as e:
        return r.report(boot.name, str(e), vm.elapsed(), vm.tail(15))
    twice = enosys_logged_twice(log_path(boot.name))
    if twice:
        return r.report(boot.name, "logged more than once: " + twice,
                        vm.elapsed())
    cut = console_cut(log_path(boot.name))
    if cut:
        return r.report(boot.name, "a line cut another: " + cut,
                        vm.elapsed())
    if shown or r.wanted(boot.name):
        r.report(boot.name, None, vm.elapsed())


def console_cut(path):
    """The first console line where a kernel line does not start a line,
    or a `klog-line` (proc/klog_lines) is not whole; or None."""
    with open(path, errors="replace") as f:
        for line in f.read().split("\n"):
            line = line.rstrip("\r")
            if ("klog-line" in line and not
                    re.fullmatch(r"klog-line \d{3} x{120} end", line)):
                return line[:200]
            if re.search(r".lux: .*system call \d+", line):
                return line[:200]
    return None


def enosys_logged_twice(path):
    """The first `system call N is not implemented` line the kernel
    logged more than once (it must log each N once per boot), or None."""
    seen = set()
    with open(path, errors="replace") as f:
        for m in re.finditer(r"system call (\d+) \(.*\) is not implemented",
                             f.read()):
            if m.group(1) in seen:
                return m.group(0)
            seen.add(m.group(1))
    return None


def test_user(r, fixed_names):
    for boot in USER_BOOTS:
        if gated(r, boot.name) and user_may_match(r, boot, fixed_names):
            run_user_boot(r, boot)


def test_system(r):
    for boot, steps in SYSTEM_BOOTS:
        if not gated(r, boot.name):
            continue
        if not any(r.wanted(f"{boot.name}/{n}") for n, _ in steps):
            continue
        missing = [f for f in (KBIN, INITRD) if not os.path.exists(f)]
        if missing:
            r.report(boot.name, "missing " + ", ".join(missing))
            continue
        boot.timeout = SYSTEM_TIMEOUT
        args = boot.qemu_args()
        if boot.name == "system/debian":
            try:
                args = disk.one_thread(args) + system.debian_drives(
                    boot.virtio, DEBIAN_IMG, os.path.join(BUILD, boot.name))
            except (OSError, subprocess.CalledProcessError) as e:
                r.report(boot.name, f"cannot attach the disks: {e}")
                continue
        system.run_system_boot(r, boot, steps, args, log_path(boot.name))


# Disk tests (tests/disk.py): two virtio disks, two boots each.
DISK_BOOTS = [Boot(f"disk/smp{n}", smp=n) for n in (1, 4)
              if not f"disk/smp{n}".startswith(PLATFORM["SKIP"])]


def test_disk(r):
    for boot in DISK_BOOTS:
        if any(r.wanted(f"{boot.name}/{c}") for c in disk.CASES):
            disk.run(r, boot, log_path, os.path.join(BUILD, boot.name))


# Network driver tests (tests/net.py): a virtio-net device, 1 and 4 CPUs.
NET_BOOTS = [Boot(f"net/smp{n}", smp=n, timeout=net.TIMEOUT) for n in (1, 4)
             if not f"net/smp{n}".startswith(PLATFORM["SKIP"])]


def test_net(r):
    for boot in NET_BOOTS:
        if any(r.wanted(f"{boot.name}/{c}") for c in net.CASES) or any(
                r.wanted(f"{boot.name}/inet/{c}") for c in net.INET_CASES):
            net.run(r, boot, log_path(boot.name))


def build_iso(r):
    """Build the ISO with the test command line; report a FAIL if it fails."""
    if os.path.exists(ISO):
        os.remove(ISO)  # the command line is not a make prerequisite
    rc, out = run_logged("boot/iso-build",
                         *make_cmd("iso", f"ISO={ISO}",
                                   f"CMDLINE={ISO_CMDLINE}"), timeout=600)
    if rc != 0:
        r.report("boot/iso-build", f"make iso: {status_text(rc)}: "
                 + first_error(out), tail=out[-15:])
    return rc == 0


def test_boot(r, fixed_names):
    iso_built = None
    for boot in BOOTS:
        if not (ktest_may_match(r, boot, fixed_names) if boot.ktest
                else r.wanted(boot.name)):
            continue
        if boot.iso and iso_built is None:
            iso_built = build_iso(r)
        if boot.iso and not iso_built:
            continue  # the one FAIL for the ISO is already reported
        run_boot(r, boot)


def test_tools(r):
    """make bench-trace: one null system call traced and named: the
    benchmark's getppid, its kernel path through sys_getppid."""
    name = "tools/bench-trace"
    if not r.wanted(name):
        return
    rc, out = run_logged(name, *make_cmd("bench-trace", "OP=null_syscall"),
                         timeout=300)
    text = "\n".join(out)
    m = re.search(r"^getppid: (\d+) instructions", text, re.M)
    if rc != 0:
        reason = f"make bench-trace: {status_text(rc)}: " + first_error(out)
    elif not m or "bench (kernel): sys_getppid" not in text:
        reason = "no getppid call through sys_getppid in the trace"
    elif not 50 <= int(m.group(1)) <= 1000:
        reason = f"getppid took {m.group(1)} instructions, not 50 to 1000"
    else:
        return r.report(name)
    r.report(name, reason, tail=out[-15:])


# Functions the trace of one uname must name, all within its call: the
# kernel reflecting it, the personality serving it (its own checked copy)
# and resuming the program with LUX_NR_RESUME.
UNAME_PATH = [("bench (kernel)", "syscall_entry"),
              ("bench (kernel)", "persona_reflect"),
              ("bench (persona)", "persona_entry"),
              ("bench (persona)", "persona_uname"),
              ("bench (persona)", "persona_copy"),
              ("bench (kernel)", "sys_lux_resume")]


def test_trace_uname(r):
    """make bench-trace OP=uname: one reflected call, from the trap to the
    personality and back into the benchmark
    (docs/decisions/0006-reflection.md); the trace's JSON lists every
    function of each call."""
    name = "tools/bench-trace-uname"
    if not r.wanted(name):
        return
    path = os.path.join("build", "trace-uname.json")
    if os.path.exists(path):
        os.remove(path)
    rc, out = run_logged(name, *make_cmd("bench-trace", "OP=uname"),
                         timeout=300)
    calls = []
    if rc == 0 and os.path.exists(path):
        with open(path) as f:
            calls = json.load(f)["calls"]
    labels = [c["call"] for c in calls]
    uname = [c for c in calls if c["call"] == "uname"]
    named = {(p, fn) for p, fn, _ in uname[0]["functions"]} if uname else set()
    missing = [f"{p}: {fn}" for p, fn in UNAME_PATH if (p, fn) not in named]
    if rc != 0:
        reason = f"make bench-trace: {status_text(rc)}: " + first_error(out)
    elif len(uname) != 1:
        reason = f"not one uname call in the trace: {labels}"
    elif missing:
        reason = "the uname call does not pass through " + ", ".join(missing)
    elif labels != ["bench user", "uname", "bench user"]:
        reason = f"calls {labels}, not uname between two runs of the bench"
    elif not 500 <= uname[0]["instructions"] <= 5000:
        reason = f"uname took {uname[0]['instructions']} instructions"
    else:
        return r.report(name)
    r.report(name, reason, tail=out[-30:])


def main(argv):
    os.chdir(REPO)
    filters = [f for arg in argv for f in arg.split()]
    r = Runner(filters)
    fixed = (["format", "docs/syscalls", "docs/platform-names",
              "tools/bench-trace", "tools/bench-trace-uname"] + [b.name for b in BOOTS + USER_BOOTS]
             + [f"{b.name}/{n}" for b, steps in SYSTEM_BOOTS
                for n, _ in steps]
             + [f"{b.name}/{c}" for b in DISK_BOOTS for c in disk.CASES]
             + [f"{b.name}/{c}" for b in NET_BOOTS for c in net.CASES]
             + [f"{b.name}/inet/{c}" for b in NET_BOOTS
                for c in net.INET_CASES])
    if PLATFORM["SKIP"]:  # said, never skipped quietly
        print(f"{ARCH}: not run on this platform: "
              f"{' '.join(PLATFORM['SKIP'])} ({PLATFORM['SKIP_WHY']})",
              flush=True)
    try:
        if HOST_RUN and r.wanted("format"):
            test_format(r)
        if HOST_RUN:
            test_docs(r)
            test_arch_names(r)
        if HOST_RUN and unit_may_match(r, fixed):
            test_unit(r)
        test_boot(r, fixed)
        test_user(r, fixed)
        test_system(r)
        test_disk(r)
        test_net(r)
        if HOST_RUN:
            test_tools(r)
            test_trace_uname(r)
    except KeyboardInterrupt:
        print("interrupted", flush=True)
        r.failed += 1
    summary = os.environ.get("LUX_TEST_SUMMARY")  # make test: the sum
    if r.passed + r.failed == 0 and filters and not summary:
        print(f"FAIL filter: no test matches {' '.join(filters)}")
        r.failed += 1
    print(f"{ARCH}: {r.passed} passed, {r.failed} failed", flush=True)
    if summary:
        with open(summary, "a") as f:
            f.write(f"{r.passed} {r.failed}\n")
    return 1 if r.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
