"""Network tests (issue 17, docs/network.md): lux with two virtio-net
devices on one QEMU hub with QEMU's user network, `net/smp<N>/<case>`.

The network is restricted to this machine (`-netdev user,restrict=on`:
QEMU's gateway 10.0.2.2 answers DHCP, ARP and ICMP echo itself, and no
packet leaves the host). lumen starts a driver per device and the
TCP/IP server from /etc/lumen.tab; the server (lwIP) takes /dev/net0,
the test /dev/net1. The cases of tests/user/net.c run by name: the
frame interface (`node`, `not_mine`, `bad_frames`), an ARP exchange
with the gateway (`arp`), ICMP echo (`icmp`), kill -9 of the driver
followed by a new exchange (`driver_kill`), the server's DHCP lease
(`dhcp`), lwIP answering ARP and ICMP echo (`lwip_echo`), and again
after kill -9 of /dev/net0's driver under the server (`relink`).
"""

from disk import one_thread
from qemu import Qemu, QemuError

CASES = ["node", "not_mine", "bad_frames", "arp", "icmp", "driver_kill",
         "dhcp", "lwip_echo", "relink"]
TIMEOUT = 300  # every case, TCG on a loaded machine
CASE_LINE = r"^utest: net/(\S+): (PASS|FAIL)(?: (.*))?\n"
END = r"^lux: init exited with status \d+$"
BROKEN = (r"^.*(KERNEL FAULT|PANIC on CPU|lux: fault while reporting"
          r"|lux: all CPUs stopped).*$")


def qemu_args(boot):
    """boot's QEMU arguments with the network device, TCG on one host
    thread as for the disks (disk.one_thread)."""
    args = one_thread(boot.qemu_args())
    args += ["-netdev", "user,id=u0,restrict=on",
             "-netdev", "hubport,id=p0,hubid=0,netdev=u0"]
    for i, mac in ((1, "52:54:00:12:34:56"), (2, "52:54:00:12:34:57")):
        args += ["-netdev", f"hubport,id=p{i},hubid=0", "-device",
                 f"virtio-net-pci,netdev=p{i},disable-legacy=on,mac={mac}"]
    return args


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
