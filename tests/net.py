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

A second boot per CPU count runs tests/user/inet.c (`net/smp<N>/inet/
<case>`): Internet sockets through the TCP/IP server, on loopback and to
the host: QEMU's `guestfwd` makes 10.0.2.100's ports 7, 9 and 80 run
tests/netpeer.py on this machine for each connection (an echo, 16 MiB, a
web page for busybox wget) and port 8 `cat` (an echo light enough for
50 at once); nothing else leaves the guest.
"""

import os
import sys

from disk import one_thread
from qemu import Qemu, QemuError

CASES = ["node", "not_mine", "bad_frames", "arp", "icmp", "driver_kill",
         "dhcp", "lwip_echo", "relink"]
INET_CASES = ["tcp_echo", "tcp_bulk", "tcp_refused", "tcp_nonblock",
              "tcp_names", "addr_inuse", "peek_dontwait", "tcp_shutdown",
              "udp_echo", "fork_share", "not_socket", "big_send",
              "timeouts", "sigpipe", "connect_error", "many",
              "sock_limit", "host_echo", "host_bulk", "host_many", "wget",
              "server_kill"]
TIMEOUT = 300  # every case, TCG on a loaded machine
CASE_LINE = r"^utest: (?:inet|net)/(\S+): (PASS|FAIL)(?: (.*))?\n"
PEER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "netpeer.py")
FORWARDS = ((7, f"{sys.executable} {PEER} echo"), (8, "cat"),
            (9, f"{sys.executable} {PEER} bulk"),
            (80, f"{sys.executable} {PEER} http"))
END = r"^lux: init exited with status \d+$"
BROKEN = (r"^.*(KERNEL FAULT|PANIC on CPU|lux: fault while reporting"
          r"|lux: all CPUs stopped).*$")


def qemu_args(boot, inet=False):
    """boot's QEMU arguments with the network device, TCG on one host
    thread as for the disks (disk.one_thread); inet: with the host's
    peers (FORWARDS) on 10.0.2.100."""
    args = one_thread(boot.qemu_args())
    user = "user,id=u0,restrict=on"
    if inet:
        user += "".join(f",guestfwd=tcp:10.0.2.100:{port}-cmd:{cmd}"
                        for port, cmd in FORWARDS)
    args += ["-netdev", user,
             "-netdev", "hubport,id=p0,hubid=0,netdev=u0"]
    for i, mac in ((1, "52:54:00:12:34:56"), (2, "52:54:00:12:34:57")):
        args += ["-netdev", f"hubport,id=p{i},hubid=0", "-device",
                 f"virtio-net-pci,netdev=p{i},disable-legacy=on,mac={mac}"]
    return args


def run(r, boot, log):
    """Boot lux running /tests/net's cases, then again /tests/inet's;
    report each one."""
    if any(r.wanted(f"{boot.name}/{c}") for c in CASES):
        run_cases(r, boot, log, "/tests/net", CASES, boot.name, False)
    if any(r.wanted(f"{boot.name}/inet/{c}") for c in INET_CASES):
        run_cases(r, boot, log + ".inet", "/tests/inet", INET_CASES,
                  f"{boot.name}/inet", True)


def run_cases(r, boot, log, prog, cases, prefix, inet):
    """One boot running program prog's cases; each reported as
    prefix/case."""
    names = " ".join(cases) if not inet else "all"  # lumen takes 16 words
    boot.cmdline = f"init=/sbin/lumen -- {prog} {names}"
    vm = Qemu(qemu_args(boot, inet), log)
    seen = set()
    try:
        with vm:
            while len(seen) < len(cases):
                m = vm.expect(CASE_LINE, max(TIMEOUT - vm.elapsed(), 0),
                              fail=BROKEN + "|" + END)
                seen.add(m.group(1))
                r.report(f"{prefix}/{m.group(1)}", None if m.group(2) ==
                         "PASS" else m.group(3) or "failed", vm.elapsed())
            vm.expect(END, 120, fail=BROKEN)
    except QemuError as e:
        for c in cases:
            if c not in seen:
                r.report(f"{prefix}/{c}", str(e), vm.elapsed(),
                         vm.tail(15))
