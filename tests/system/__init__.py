"""System tests: boot lux to its shell and use it over the serial console
as a person would (shell.py drives it, steps.py says what to type and
what must come out). Used by tests/run.py; each step is one result,
`<boot>/<step>`, and a boot whose shell never answers fails once as
`<boot>` with every selected step reported as not run.
"""

import time

from .shell import Shell, StepError
from .debian import DEBIAN_STEPS, drives as debian_drives
from .ext2 import EXT2_STEPS
from .full import FULL_STEPS
from .loop import LOOP_STEPS
from .steps import STEPS

__all__ = ["run_system_boot", "DEBIAN_STEPS", "EXT2_STEPS", "FULL_STEPS",
           "LOOP_STEPS", "STEPS", "debian_drives"]


def run_system_boot(r, boot, steps, qemu_args, log):
    """Boot, wait for the shell, run steps in order up to the last one
    the filters select, reporting the selected ones through r.report."""
    wanted = [i for i, (name, _) in enumerate(steps)
              if r.wanted(f"{boot.name}/{name}")]
    if not wanted:
        return
    last = max(wanted)
    with Shell(qemu_args, log) as sh:
        try:
            sh.start(boot.timeout)
        except StepError as e:
            r.report(boot.name, f"no shell prompt: {e}", sh.vm.elapsed(),
                     sh.vm.tail(15))
            for i in wanted:
                r.report(f"{boot.name}/{steps[i][0]}", "not run: no shell")
            return
        alive = True
        for i, (name, fn) in enumerate(steps[:last + 1]):
            full = f"{boot.name}/{name}"
            if not alive:
                if i in wanted:
                    r.report(full, "not run: the shell stopped answering")
                continue
            start = time.monotonic()
            try:
                fn(sh)
                reason = None
            except StepError as e:
                reason = str(e)
            took = time.monotonic() - start
            if i in wanted:
                r.report(full, reason, took,
                         sh.vm.tail(12) if reason else ())
            if reason and not sh.recover():
                alive = False
