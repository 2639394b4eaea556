#!/usr/bin/env python3
"""make soak: the fault-injection test (tests/user/faults.c) for a long
run. `tests/soak.py [SECONDS]` (default 600) boots lux with lumen running
/tests/faults for that long, then prints kills, server restarts, failed
calls and data errors; exits 1 on a panic, a hang, a data error or a
failed check."""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qemu import Qemu, QemuError  # noqa: E402
import run  # noqa: E402


def main(argv):
    seconds = int(argv[1]) if len(argv) > 1 else 600
    cmdline = ("init=/sbin/lumen -- /usr/bin/env "
               f"FAULTS_SECONDS={seconds} /tests/faults")
    boot = run.Boot("soak", smp=2, cmdline=cmdline)
    os.makedirs(run.LOGS, exist_ok=True)
    log = os.path.join(run.LOGS, "soak.log")
    verdict = "FAIL"
    # lumen ends when its command does: a start failure is no long wait
    broken = run.BROKEN + r"|^lux: init exited.*$"
    with Qemu(boot.qemu_args(), log) as vm:
        try:
            m = vm.expect(r"^utest: faults: (\d+) kills, (\d+) files, "
                          r"(\d+) failed calls, (\d+) data errors, "
                          r"(\d+) bad files\n", 2 * seconds + 300,
                          fail=broken)
            kills, files, failed, errors, bad = map(int, m.groups())
            r = vm.expect(r"^utest: faults/kill_under_load: (PASS|FAIL)"
                          r".*\n", 120, fail=broken)
            verdict = r.group(1)
        except QemuError as e:
            print(f"soak: {e} (log: {log})")
            return 1
        restarts = len(re.findall(r"lumen: started (ramfs|devfs|tty|procfs)",
                                  vm.text)) - 4  # the boot's own starts
    print(f"soak: {seconds} s ({vm.elapsed():.0f} s on the host): "
          f"{kills} kills, {restarts} restarts, "
          f"{files} files written and checked, {failed} failed calls, "
          f"{errors + bad} data errors, 0 panics, 0 hangs: {verdict}")
    return 0 if verdict == "PASS" and errors + bad == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
