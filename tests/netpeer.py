#!/usr/bin/env python3
"""The host's end of a guest connection for tests/net.py's inet cases:
QEMU's `guestfwd=tcp:10.0.2.100:PORT-cmd:python3 tests/netpeer.py MODE`
starts it for each connection the guest makes to 10.0.2.100:PORT, its
stdin and stdout the connection (nothing else is reachable: the user
network stays `restrict=on`).

    echo   copy what comes back until the guest closes
    bulk   4 bytes (the CRC-32 of the rest, little-endian), then 16 MiB
    http   answer one HTTP GET with a small page (for busybox wget)
"""

import os
import sys
import zlib

BULK = 16 << 20
PAGE = b"hello from the host\n"


def echo():
    while True:
        data = os.read(0, 65536)
        if not data:
            return
        while data:
            data = data[os.write(1, data):]


def write_all(data):
    view = memoryview(data)
    while view:
        view = view[os.write(1, view):]


def bulk():
    data = bytes((i * 13 + i // 65536) & 0xff for i in range(65536)) \
        * (BULK // 65536)
    write_all(zlib.crc32(data).to_bytes(4, "little") + data)


def http():
    request = b""
    while b"\r\n\r\n" not in request:
        data = os.read(0, 4096)
        if not data:
            return
        request += data
    write_all(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n"
              b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(PAGE)
              + PAGE)


if __name__ == "__main__":
    {"echo": echo, "bulk": bulk, "http": http}[sys.argv[1]]()
