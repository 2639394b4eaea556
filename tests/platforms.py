"""The platforms lux is built for: each directory kernel/arch/<name>/
holding a platform.py (which says how QEMU boots it). Nothing outside
kernel/arch/ names one (docs/platform.md): a default is the platform this
machine is, found by comparing each platform.py's UNAME with uname -m."""
import os
import runpy

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ARCH_DIR = os.path.join(REPO, "kernel", "arch")


def names():
    """Every platform's name, sorted."""
    return sorted(n for n in os.listdir(ARCH_DIR)
                  if os.path.isfile(os.path.join(ARCH_DIR, n, "platform.py")))


def load(name):
    """Platform name's platform.py, as a dict of its globals."""
    return runpy.run_path(os.path.join(ARCH_DIR, name, "platform.py"))


def host():
    """The platform this machine is, else the first one."""
    for name in names():
        if load(name)["UNAME"] == os.uname().machine:
            return name
    return names()[0]


def chosen():
    """The platform of $ARCH (make's ARCH=), else host()."""
    return os.environ.get("ARCH") or host()
