"""Drive lux's shell over the serial console as a person would.

    with Shell(qemu_args, log) as sh:
        sh.start(boot_timeout)           # wait for a prompt, set our own
        out = sh.run("echo hi")         # type a line, wait for the prompt
        sh.check("echo hi", "hi")       # the same, and compare exactly

Each command is typed as one line; the shell echoes it; what follows up
to the next prompt is its output. The prompt is set to PROMPT at start so
that it cannot be mistaken for output. Terminal control sequences are
removed as the text arrives (Qemu(strip_escapes=True)), so line editing
and vi do not get in the way. Every wait has a timeout; a failed step
raises StepError with the reason and the output seen.
"""

import re
import time

from qemu import Qemu, QemuError

PROMPT = "@lux@ "
# The first prompt, whatever the profile made it: ends in "# " or "$ ".
FIRST_PROMPT_RE = r"[#$>] $"
# Commands stay short: a line that wraps is redrawn by the line editor.
MAX_LINE = 76 - len(PROMPT)
# Lines the system writes to the console on its own (lumen's log of
# servers starting and ending, the kernel's notes, the ext2 server's
# idle write-back failing on a device that went away): not command
# output. They may land anywhere, even inside the echo of a line typed.
SYSTEM_LINE = r"(?:lumen|lux|ext2): [^\n]*\n"
# The prompt, perhaps with such lines inside and after it.
PROMPT_RE = (f"(?:{SYSTEM_LINE})*".join(re.escape(c) for c in PROMPT)
             + f"(?:{SYSTEM_LINE})*$")
# What ends a test at once, wherever it appears: the kernel failing, or
# lumen saying the login shell ended.
BROKEN = (r"^.*(KERNEL FAULT|PANIC on CPU|lux: fault while reporting"
          r"|lux: all CPUs stopped|lux: init exited"
          r"|lumen: /bin/sh (exited|was killed)).*$")
# lumen starting a new login shell (after the last one ended).
RESTARTED = r"^lumen: started /bin/sh .*\n"


class StepError(Exception):
    """A step failed: what was wrong, in one line."""


class Shell:
    def __init__(self, qemu_args, log):
        self.vm = Qemu(qemu_args, log, strip_escapes=True)
        # Lines that bring a new shell to where the steps left the last
        # one (a step adds its `cd`); run after PS1 by restart().
        self.setup = []

    def __enter__(self):
        self.vm.start()
        return self

    def __exit__(self, *exc):
        self.vm.kill()
        return False

    def expect(self, pattern, timeout):
        """Wait for pattern in the console output (see Qemu.expect);
        raise StepError on timeout, a kernel failure or QEMU's end."""
        try:
            return self.vm.expect(pattern, timeout, fail=BROKEN)
        except QemuError as e:
            raise StepError(str(e))

    def start(self, timeout):
        """Wait for the shell's first prompt, then set PROMPT."""
        self.expect(FIRST_PROMPT_RE, timeout)
        time.sleep(0.5)  # anything the shell prints after its prompt
        self.vm.pos = len(self.vm.text)
        self.run(f"PS1='{PROMPT}'", timeout=30)

    def type(self, text):
        """Send keys without waiting for anything."""
        try:
            self.vm.send(text)
        except QemuError as e:
            raise StepError(str(e))

    def run(self, line, timeout=20):
        """Type line and Enter; return the output up to the next prompt,
        without the echoed line and SYSTEM_LINEs, trailing spaces on
        each line removed."""
        if len(line) > MAX_LINE or "\n" in line:
            raise StepError(f"test error: command too long: {line}")
        self.vm.pos = len(self.vm.text)
        self.type(line + "\n")
        echo = self.expect(echo_re(line), timeout)
        prompt = self.expect(PROMPT_RE, timeout)
        out = re.sub(SYSTEM_LINE, "", self.vm.text[echo.end():prompt.start()])
        return "\n".join(x.rstrip() for x in out.split("\n")).strip("\n")

    def check(self, line, want, timeout=20):
        """run(line) and compare its output with want exactly."""
        got = self.run(line, timeout)
        if got != want:
            raise StepError(f"`{line}` printed {show(got)}, "
                            f"expected {show(want)}")
        return got

    def check_re(self, line, pattern, timeout=20):
        """run(line); its output must match the regex (multiline)."""
        got = self.run(line, timeout)
        m = re.search(pattern, got, re.M)
        if not m:
            raise StepError(f"`{line}` printed {show(got)}, "
                            f"expected /{pattern}/")
        return m

    def restarted(self):
        """Whether lumen has started a new login shell since the last
        prompt this driver saw (the step that failed reported the end of
        the old one)."""
        return re.search(RESTARTED, self.vm.text[self.vm.pos:], re.M) is not None

    def restart(self, timeout):
        """Take over the new login shell as start() did, then replay the
        setup lines; return whether it answered."""
        try:
            self.vm.pos += re.search(RESTARTED, self.vm.text[self.vm.pos:],
                                     re.M).end()
            self.start(timeout)
            for line in self.setup:
                self.run(line)
            return True
        except StepError:
            return False

    def recover(self, timeout=15):
        """After a failed step: Ctrl-C, Enter, and wait for a prompt (or
        take over the new shell if lumen restarted it). Return whether
        the shell answered."""
        time.sleep(1)
        if self.restarted():
            return self.restart(timeout * 2)
        try:
            self.type("\x03")
            time.sleep(0.5)
            self.vm.pos = len(self.vm.text)
            self.type("\n")
            self.expect(PROMPT_RE, timeout)
            return True
        except StepError:
            return False


def echo_re(line):
    """The echo of a typed line and its Enter, with SYSTEM_LINEs allowed
    between any two characters."""
    sep = f"(?:{SYSTEM_LINE})*"
    return sep.join(re.escape(c) for c in line + "\n")


def show(text, limit=200):
    """Output quoted for a one-line report."""
    text = text if len(text) <= limit else text[:limit] + "..."
    return '"' + text.replace("\n", "\\n") + '"'
