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

import http.client
import os
import socket
import sys
import time

from disk import one_thread
from qemu import Qemu, QemuError

CASES = ["node", "not_mine", "bad_frames", "arp", "icmp", "driver_kill",
         "dhcp", "lwip_echo", "relink"]
INET_CASES = ["tcp_echo", "tcp_bulk", "tcp_refused", "tcp_nonblock",
              "tcp_names", "addr_inuse", "peek_dontwait", "tcp_shutdown",
              "udp_echo", "fork_share", "not_socket", "big_send",
              "timeouts", "sigpipe", "connect_error", "many", "send_signal",
              "sock_limit", "host_echo", "host_bulk", "host_many", "wget",
              "nc_out", "nc_in", "httpd", "ifconfig", "ip_lo", "ip_eth",
              "netlink_bad", "server_kill"]
TIMEOUT = 300  # every case, TCG on a loaded machine
CASE_LINE = r"^utest: (?:inet|net)/(\S+): (PASS|FAIL)(?: (.*))?\n"
HOST_LINE = r"^inet-host: (\S+) (.*)\n"  # tests/user/inet.c's host_do
HOSTFWD = (8080, 8081, 8082)  # guest ports the host reaches (hostfwd)
PEER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "netpeer.py")
FORWARDS = ((7, f"{sys.executable} {PEER} echo"), (8, "cat"),
            (9, f"{sys.executable} {PEER} bulk"),
            (80, f"{sys.executable} {PEER} http"))
END = r"^lux: init exited with status \d+$"
BROKEN = (r"^.*(KERNEL FAULT|PANIC on CPU|lux: fault while reporting"
          r"|lux: all CPUs stopped).*$")


def free_ports(n):
    """n TCP ports of 127.0.0.1 free now, for QEMU's hostfwd."""
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def qemu_args(boot, inet=None):
    """boot's QEMU arguments with the network device, TCG on one host
    thread as for the disks (disk.one_thread); inet, a map of guest port
    to host port: with the host's peers (FORWARDS) on 10.0.2.100 and
    those guest ports forwarded from 127.0.0.1 (hostfwd)."""
    args = one_thread(boot.qemu_args())
    user = "user,id=u0,restrict=on"
    if inet:
        user += "".join(f",guestfwd=tcp:10.0.2.100:{port}-cmd:{cmd}"
                        for port, cmd in FORWARDS)
        user += "".join(f",hostfwd=tcp:127.0.0.1:{h}-:{g}"
                        for g, h in inet.items())
    args += ["-netdev", user,
             "-netdev", "hubport,id=p0,hubid=0,netdev=u0"]
    for i, mac in ((1, "52:54:00:12:34:56"), (2, "52:54:00:12:34:57")):
        args += ["-netdev", f"hubport,id=p{i},hubid=0"]
        args += boot.virtio("net", f"netdev=p{i},mac={mac}")
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
    fwd = dict(zip(HOSTFWD, free_ports(len(HOSTFWD)))) if inet else None
    vm = Qemu(qemu_args(boot, fwd), log)
    seen, host_err = set(), {}
    try:
        with vm:
            while len(seen) < len(cases):
                m = vm.expect(CASE_LINE + "|" + HOST_LINE,
                              max(TIMEOUT - vm.elapsed(), 0),
                              fail=BROKEN + "|" + END)
                if m.group(4):  # the guest asks the host to act
                    host_err[m.group(4)] = host_act(m.group(5), fwd)
                    continue
                seen.add(m.group(1))
                err = None if m.group(2) == "PASS" else m.group(3) or "failed"
                err = err or host_err.get(m.group(1))
                r.report(f"{prefix}/{m.group(1)}", err, vm.elapsed())
            vm.expect(END, 120, fail=BROKEN)
    except QemuError as e:
        for c in cases:
            if c not in seen:
                r.report(f"{prefix}/{c}", str(e), vm.elapsed(),
                         vm.tail(15))


def host_connect(port, deadline):
    """A connection to the guest through hostfwd port, None past
    deadline. QEMU accepts it at once and then connects to the guest,
    closing it if nothing listens there: the caller tries again while
    nothing came back."""
    try:
        return socket.create_connection(("127.0.0.1", port),
                                        timeout=max(deadline - time.time(), 1))
    except OSError:
        return None


def recv_all(s):
    """Everything s gives until its end."""
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            return data
        data += chunk


def host_nc(port, deadline):
    """busybox nc -l in the guest: send a line, read its line back."""
    while time.time() < deadline:
        s = host_connect(port, deadline)
        if not s:
            continue
        with s:
            try:
                s.sendall(b"from host\n")
                got = b""
                while b"\n" not in got:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    got += chunk
            except OSError:
                got = b""
        if got:  # empty: nc did not listen yet (QEMU closed it)
            return None if got == b"from lux\n" else f"host got {got!r}"
        time.sleep(0.2)
    return "host: no answer from the guest's nc"


def host_get(port, path, back, deadline):
    """busybox httpd in the guest: GET path, send the body to the
    guest's port back (or why it failed)."""
    body = None
    while body is None and time.time() < deadline:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            c.request("GET", path)
            resp = c.getresponse()
            body = resp.read() if resp.status == 200 else \
                f"HTTP {resp.status}\n".encode()
        except (OSError, http.client.HTTPException):
            time.sleep(0.2)  # httpd did not listen yet (QEMU closed it)
        finally:
            c.close()
    s = host_connect(back, deadline)
    if not s:
        return "host: cannot reach the guest's port"
    with s:
        s.sendall(body if body is not None else b"host: no page\n")
    return None


def host_act(what, fwd):
    """Do what the guest asked (tests/user/inet.c host_do): `nc PORT`
    or `get PORT PATH BACKPORT`, guest ports through fwd. The error, or
    None."""
    deadline = time.time() + 120
    words = what.split()
    if words[0] == "nc":
        return host_nc(fwd[int(words[1])], deadline)
    if words[0] == "get":
        return host_get(fwd[int(words[1])], words[2], fwd[int(words[3])],
                        deadline)
    return f"host: unknown request {what!r}"
