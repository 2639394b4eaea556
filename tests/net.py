"""Network driver tests (issue 17, docs/network.md): lux with a virtio-net
device on QEMU's user network, `net/smp<N>/<case>`.

The network is restricted to this machine (`-netdev user,restrict=on`:
QEMU's gateway 10.0.2.2 answers ARP and ICMP echo itself, and no packet
leaves the host). lumen starts the driver from /etc/lumen.tab; the
cases of tests/user/net.c run by name: the frame interface /dev/net0
(`node`, `not_mine`, `bad_frames`), an ARP exchange with the gateway
(`arp`), ICMP echo (`icmp`), and kill -9 of the driver followed by a
new exchange (`driver_kill`).
"""

from disk import one_thread
from qemu import Qemu, QemuError

CASES = ["node", "not_mine", "bad_frames", "arp", "icmp", "driver_kill"]
TIMEOUT = 300  # every case, TCG on a loaded machine
CASE_LINE = r"^utest: net/(\S+): (PASS|FAIL)(?: (.*))?\n"
END = r"^lux: init exited with status \d+$"
BROKEN = (r"^.*(KERNEL FAULT|PANIC on CPU|lux: fault while reporting"
          r"|lux: all CPUs stopped).*$")


def qemu_args(boot):
    """boot's QEMU arguments with the network device, TCG on one host
    thread as for the disks (disk.one_thread)."""
    return one_thread(boot.qemu_args()) + ["-netdev", "user,id=n0,restrict=on",
                   "-device", "virtio-net-pci,netdev=n0,disable-legacy=on"]


def run(r, boot, log):
    """Boot lux running /tests/net's cases; report each one."""
    boot.cmdline = "init=/sbin/lumen -- /tests/net " + " ".join(CASES)
    vm = Qemu(qemu_args(boot), log)
    seen = set()
    try:
        with vm:
            while len(seen) < len(CASES):
                m = vm.expect(CASE_LINE, max(TIMEOUT - vm.elapsed(), 0),
                              fail=BROKEN + "|" + END)
                seen.add(m.group(1))
                r.report(f"{boot.name}/{m.group(1)}", None if m.group(2) ==
                         "PASS" else m.group(3) or "failed", vm.elapsed())
            vm.expect(END, 120, fail=BROKEN)
    except QemuError as e:
        for c in CASES:
            if c not in seen:
                r.report(f"{boot.name}/{c}", str(e), vm.elapsed(),
                         vm.tail(15))
