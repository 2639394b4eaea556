"""Drive a QEMU guest through its serial console, for lux system tests.

    with Qemu(args, log="build/test-logs/x.log") as vm:
        m = vm.expect(r"lux: (\\d+) of (\\d+) CPUs online", timeout=120)
        vm.send("ls\\n")

The serial console is QEMU's stdio (the caller passes `-serial stdio`); a
reader thread copies everything the guest prints into a buffer and the log
file. expect() searches the buffer from the end of the previous match, so a
test reads the console in order, as a person would. Every wait has a
timeout, and QEMU is always killed when the `with` block ends.

With strip_escapes=True, terminal control sequences (what a line editor
or vi sends to move the cursor, ESC [ ... and the like) are removed from
the text as it arrives, so that tests match what a person reads.
"""

import codecs
import os
import re
import signal
import subprocess
import threading
import time


# A whole control sequence: CSI (ESC [ parameters final), a charset
# selection (ESC ( B), or a two-byte escape (ESC 7, ESC M, ...); and
# the start of one that has not fully arrived yet, at the end of a chunk.
# The QEMU program Qemu runs unless told another: tests/run.py sets it
# from kernel/arch/<arch>/platform.py; else that of $ARCH or this machine.
PROGRAM = None
ESCAPE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|[()*+][ -~]|[ -~])")
ESCAPE_START = re.compile(r"\x1b(?:\[[0-?]*[ -/]*|[()*+])?\Z")


class QemuError(Exception):
    """A wait that failed: timeout, QEMU exited, or a failure pattern."""


class Qemu:
    def __init__(self, args, log, qemu=None, strip_escapes=False):
        if not (qemu or PROGRAM):
            import platforms
            qemu = platforms.load(platforms.chosen())["QEMU"]
        self.cmd = [qemu or PROGRAM] + list(args)
        self.strip_escapes = strip_escapes
        self._held = ""  # an unfinished control sequence
        self.log_path = log
        self.text = ""  # console output so far, "\r" removed
        self.pos = 0  # where the next expect() starts searching
        self.proc = None
        self.started = None
        self._cond = threading.Condition()
        self._eof = False
        self._reader = None
        self._log = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.kill()
        return False

    def start(self):
        """Start QEMU; raise QemuError if the program cannot be run."""
        os.makedirs(os.path.dirname(self.log_path) or ".", exist_ok=True)
        self._log = open(self.log_path, "w", encoding="utf-8",
                         errors="replace")
        self._log.write("# " + " ".join(self.cmd) + "\n")
        self._log.flush()
        try:
            # A session of its own: a Ctrl-C meant for the test runner does
            # not reach QEMU, and kill() can end QEMU and anything it forks.
            self.proc = subprocess.Popen(
                self.cmd,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as e:
            self._log.close()
            raise QemuError(f"cannot run {self.cmd[0]}: {e.strerror}")
        self.started = time.monotonic()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        """Reader thread: move QEMU's output into self.text and the log."""
        fd = self.proc.stdout.fileno()
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        while True:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                chunk = b""
            text = decoder.decode(chunk, final=not chunk).replace("\r", "")
            if self.strip_escapes:
                text = self._strip(text, final=not chunk)
            with self._cond:
                if text:
                    self.text += text
                    self._log.write(text)
                    self._log.flush()
                if not chunk:
                    self._eof = True
                self._cond.notify_all()
            if not chunk:
                return

    def _strip(self, text, final):
        """Remove control sequences; keep an unfinished one for later."""
        text = self._held + text
        self._held = ""
        m = None if final else ESCAPE_START.search(text)
        if m:
            self._held, text = text[m.start():], text[:m.start()]
        return ESCAPE.sub("", text).replace("\x1b", "")

    def expect(self, pattern, timeout, fail=None):
        """Wait until `pattern` (a regex, multiline mode) appears in the
        output after the previous match; return the match object.
        Raise QemuError on timeout, when QEMU exits first, or when the
        regex `fail` appears first (the error quotes the failing line).
        `$` also matches at the end of the output so far, which suits a
        prompt; to wait for a whole line, end the pattern with `\n`."""
        regex = re.compile(pattern, re.M)
        bad = re.compile(fail, re.M) if fail else None
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                m = regex.search(self.text, self.pos)
                b = bad.search(self.text, self.pos) if bad else None
                if m and (not b or m.start() <= b.start()):
                    self.pos = m.end()
                    return m
                if b:
                    self._settle(2.0)  # let the rest of the report arrive
                    line = _line_at(self.text, b.start())
                    raise QemuError("unexpected: " + line)
                if self._eof:
                    raise QemuError(f"QEMU exited ({self._status()}) while "
                                    f"waiting for /{pattern}/")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise QemuError(f"timeout after {timeout:g} s waiting "
                                    f"for /{pattern}/")
                self._cond.wait(left)

    def _settle(self, seconds):
        """With self._cond held: keep reading for `seconds` or until EOF."""
        end = time.monotonic() + seconds
        while not self._eof and time.monotonic() < end:
            self._cond.wait(end - time.monotonic())

    def send(self, text):
        """Type `text` on the serial console."""
        try:
            self.proc.stdin.write(text.encode())
            self.proc.stdin.flush()
        except OSError as e:
            raise QemuError(f"cannot write to QEMU: {e.strerror}")

    def elapsed(self):
        return time.monotonic() - self.started if self.started else 0.0

    def tail(self, n=15):
        """The last `n` lines of the console output."""
        with self._cond:
            return self.text.rstrip("\n").split("\n")[-n:]

    def kill(self):
        """End QEMU (idempotent) and close the log."""
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.proc:
            self.proc.wait()
            if self._reader:
                self._reader.join(5)
            for f in (self.proc.stdin, self.proc.stdout):
                try:
                    f.close()
                except OSError:
                    pass
        if self._log and not self._log.closed:
            with self._cond:
                self._log.close()

    def _status(self):
        rc = self.proc.wait(5) if self.proc else None
        if rc is None:
            return "status unknown"
        if rc < 0:
            return f"killed by {signal.Signals(-rc).name}"
        return f"exit status {rc}"


def _line_at(text, index):
    start = text.rfind("\n", 0, index) + 1
    end = text.find("\n", index)
    return text[start:end if end >= 0 else len(text)].strip()
