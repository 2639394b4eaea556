"""The system test steps (issue 6, item 10): what a person does at the
shell, each with the exact output it must print.

A step is a function of a Shell that raises StepError when something is
wrong; STEPS lists them in order with their names. They share one shell
and one working directory (/tmp/st), so a step may use what an earlier
one made, and say so.
"""

import os
import re
import time

from .shell import PROMPT_RE, StepError, echo_re

WORK = "/tmp/st"


def lines(*xs):
    return "\n".join(xs)


# ---- steps that need only the shell ---------------------------------------

def step_echo(sh):
    sh.check("echo hello, world", "hello, world")
    sh.check("x=$((6 * 7)); echo $x", "42")


def step_status(sh):
    sh.check("false; echo $?", "1")
    sh.check("true; echo $?", "0")
    sh.check("(exit 7); echo $?", "7")


def step_loops(sh):
    sh.check("for i in 1 2 3; do echo n$i; done", lines("n1", "n2", "n3"))
    sh.check("i=0; while [ $i -lt 5 ]; do i=$((i + 1)); done; echo $i",
             "5")


def step_subshell(sh):
    sh.check("v=out; (v=in; echo $v); echo $v", lines("in", "out"))
    sh.check("x=$(echo sub; echo st); echo $x", "sub st")


def step_builtin_pipe(sh):
    sh.check("echo abc | { read v; echo got $v; }", "got abc")


# ---- steps on the file system ---------------------------------------------

def step_ls_root(sh):
    out = sh.run("ls -l /")
    dirs = set(re.findall(r"^d[rwxst-]{9}\s.*\s(\S+)$", out, re.M))
    for want in ("bin", "dev", "etc", "proc", "sbin", "tmp"):
        if want not in dirs:
            raise StepError(f"`ls -l /` shows no directory {want}: "
                            f"{sorted(dirs)}")
    sh.check_re("ls -ld /bin/sh", r"^l[rwx-]{9}\s.*\s/bin/sh -> \S*busybox$")


def step_files(sh):
    sh.check(f"mkdir -p {WORK} && cd {WORK} && pwd", WORK)
    sh.setup.append(f"cd {WORK}")  # for a new shell after a crash
    sh.check("echo one > f; echo two >> f; cat f", lines("one", "two"))
    sh.check("cp f g && cat g", lines("one", "two"))
    sh.check("mv g h && ls -1", lines("f", "h"))
    sh.check("ls g", "ls: g: No such file or directory")
    sh.check("rm f h && ls -1 | wc -l", "0")


def step_trees(sh):
    sh.check("mkdir -p t/a/b t/c && echo x > t/a/b/f && cp -r t u", "")
    sh.check("find u | sort", lines("u", "u/a", "u/a/b", "u/a/b/f", "u/c"))
    sh.check("cat u/a/b/f", "x")
    sh.check("mv u v && ls -1", lines("t", "v"))
    sh.check("rm -r t v && ls -1 | wc -l", "0")


def step_symlink(sh):
    sh.check("echo target > tf; ln -s tf sl; cat sl", "target")
    sh.check_re("ls -l sl", r"^l[rwx-]{9}\s+1 root\s+root\s+2 .* sl -> tf$")
    sh.check("rm tf; cat sl", "cat: can't open 'sl': No such file or "
             "directory")


def step_text_tools(sh):
    sh.check(r"printf 'b 2\na 1\nc 3\na 4\n' > d.txt", "")
    sh.check("grep a d.txt", lines("a 1", "a 4"))
    sh.check("sed 's/a/A/' d.txt", lines("b 2", "A 1", "c 3", "A 4"))
    sh.check("awk '{s += $2} END {print s}' d.txt", "10")
    sh.check("sort d.txt", lines("a 1", "a 4", "b 2", "c 3"))
    sh.check("wc -l < d.txt", "4")
    sh.check("head -2 d.txt", lines("b 2", "a 1"))
    sh.check("tail -1 d.txt", "a 4")
    sh.check(f"find {WORK} -name d.txt", f"{WORK}/d.txt")


def step_pipe4(sh):
    # Uses d.txt from text_tools.
    sh.check("cat d.txt | cut -d' ' -f1 | sort -u | tr -d '\\n'; echo", "abc")


def step_stderr(sh):
    sh.check("ls /nonexistent 2> e.txt; echo rc=$?", "rc=1")
    sh.check("cat e.txt", "ls: /nonexistent: No such file or directory")
    sh.check("ls /nonexistent 2>/dev/null; echo rc=$?", "rc=1")
    sh.check("(echo out; echo err >&2) 2>&1 >/dev/null", "err")


def step_command_subst(sh):
    # Uses d.txt from text_tools.
    sh.check("echo $(( $(wc -l < d.txt) * 2 ))", "8")
    sh.check("(cd /; pwd); pwd", lines("/", WORK))
    sh.check("sh -c 'exit 3'; echo $?", "3")


def step_background(sh):
    out = sh.run("(sleep 1; echo bg-done) & echo started; wait; echo rc=$?",
                 timeout=30)
    got = [x for x in out.split("\n") if not re.match(r"^\[\d+\]", x)]
    if got != ["started", "bg-done", "rc=0"]:
        raise StepError(f"background job printed {got}, expected "
                        "started, bg-done, rc=0")


def step_ctrl_c(sh):
    sh.vm.pos = len(sh.vm.text)
    sh.type("sleep 100\n")
    sh.expect(echo_re("sleep 100"), 20)
    time.sleep(2)  # let it start and block
    sh.type("\x03")
    sh.expect(PROMPT_RE, 20)  # well before the 100 s
    sh.check("echo $?", "130")


def step_tty_editing(sh):
    """The terminal's own line editing, seen by cat (canonical mode):
    backspace, ^U (kill the line), ^W (erase a word), ^D (end of file)."""
    sh.vm.pos = len(sh.vm.text)
    sh.type("cat\n")
    sh.expect(echo_re("cat"), 20)
    time.sleep(1)  # as a person would: cat is reading before we type
    for keys, line in (("abc\x7fd\n", "abd"), ("xyz\x15ok\n", "ok"),
                       ("one two\x17three\n", "one three")):
        sh.type(keys)
        sh.expect(rf"^{line}\n", 20)  # cat's copy (the echo has erasures)
    sh.type("\x04")
    sh.expect(PROMPT_RE, 20)
    sh.check("echo $?", "0")


def step_job_control(sh):
    """^Z stops the foreground job, jobs lists it, fg resumes it; ^\\
    quits one."""
    sh.vm.pos = len(sh.vm.text)
    sh.type("sleep 100\n")
    sh.expect(echo_re("sleep 100"), 20)
    time.sleep(2)
    sh.type("\x1a")
    sh.expect(r"\[1\]\+\s+Stopped\s+sleep 100\n", 20)
    sh.expect(PROMPT_RE, 20)
    sh.check("jobs", "[1]+  Stopped                    sleep 100")
    sh.vm.pos = len(sh.vm.text)
    sh.type("fg\n")
    sh.expect(echo_re("fg"), 20)
    sh.expect(r"sleep 100\n", 20)
    time.sleep(2)
    sh.type("\x03")
    sh.expect(PROMPT_RE, 20)
    sh.check("echo $?", "130")
    sh.vm.pos = len(sh.vm.text)
    sh.type("sleep 100\n")
    sh.expect(echo_re("sleep 100"), 20)
    time.sleep(2)
    sh.type("\x1c")
    sh.expect(PROMPT_RE, 20)
    sh.check("echo $?", "131")


def step_ps(sh):
    out = sh.run("ps")
    for name in ("lumen", "ramfs", "devfs", "tty", "procfs"):
        # PID USER [TIME] COMMAND, the command as started (/sbin/ramfs).
        if not re.search(rf"^\s*\d+\s+\S+\s+(\d+:\d+\s+)?(\S*/)?{name}"
                         r"(\s|$)", out, re.M):
            raise StepError(f"`ps` does not list {name}: "
                            + out.replace("\n", " | ")[:300])
    sh.check_re("ps", r"^\s*1\s+root\s+(\d+:\d+\s+)?\S*lumen")


def step_uname(sh):
    """The machine is the platform's (tests/run.py puts its name, from
    kernel/arch/<arch>/platform.py, in LUX_UNAME_MACHINE)."""
    machine = re.escape(os.environ.get("LUX_UNAME_MACHINE", "?"))
    sh.check_re("uname -a", rf"^lux \S+ \S+ .*{machine}.*$")


def step_df(sh):
    out = sh.run("df")
    if not re.match(r"^Filesystem\s+1K-blocks\s+Used\s+Available", out):
        raise StepError(f"`df` header: {out[:100]}")
    if not re.search(r"^\S+\s+\d+\s+\d+\s+\d+\s+\d+%\s+/$", out, re.M):
        raise StepError("`df` shows no line for /: "
                        + out.replace("\n", " | ")[:300])
    errors = [x for x in out.split("\n") if x.startswith("df: ")]
    if errors:
        raise StepError("`df` complains: " + " | ".join(errors)[:300])


def step_free(sh):
    m = sh.check_re("free", r"^Mem:\s+(\d+)\s+(\d+)\s+(\d+)")
    total, used, free = map(int, m.groups())
    if not (total > 0 and used + free <= total):
        raise StepError(f"free: total {total} used {used} free {free}")


def step_vi(sh):
    sh.check("rm -f v.txt", "")
    sh.vm.pos = len(sh.vm.text)
    sh.type("vi v.txt\n")
    sh.expect(echo_re("vi v.txt"), 20)
    sh.expect(r"~", 20)  # the empty lines of the new file
    time.sleep(1)
    sh.type("ihello from vi")
    time.sleep(0.5)
    sh.vm.pos = len(sh.vm.text)
    sh.type("\x1b")
    # vi takes an ESC followed at once by more keys for the start of a
    # key's escape sequence: type ":wq" only once vi has left insert
    # mode, which its status line shows ("- v.txt [Modified]"). On a loaded
    # host a fixed pause is not enough: the keys can reach the guest
    # together.
    sh.expect(r"- v\.txt \[Modified\]", 20)
    sh.type(":wq\r")
    sh.expect(PROMPT_RE, 20)
    sh.check("cat v.txt", "hello from vi")


def step_kill_server(sh):
    sh.check_re("cat /proc/uptime", r"^\d+\.\d+ \d+\.\d+$")
    # lumen restarts it 100 ms after its end: in between, calls fail.
    # The shell opens /proc/uptime itself (no fork, no exec: quick) until
    # an open fails; it must fail with a message, not hang (`true`, not
    # the special builtin `:`, whose failed redirection would end the
    # whole line). The message goes to a file and the prompt comes three
    # seconds later, clear of lumen's lines about procfs on the console
    # (lumen writes to the kernel console, the shell through the tty
    # server: the UART gets both, mixed character by character when they
    # meet).
    sh.check("opens() { while true </proc/uptime; do :; done; }", "")
    start = len(sh.vm.text)
    sh.check("kill -9 $(pidof procfs); opens 2>err.txt; sleep 3", "")
    # Wait for lumen's word that procfs runs again, as a person would:
    # typing while lumen writes to the console mixes the two.
    sh.vm.pos = start
    sh.expect(r"lumen: started procfs", 30)
    time.sleep(0.5)
    sh.vm.pos = len(sh.vm.text)
    sh.check_re("cat err.txt", r"\A\S*sh: can't open /proc/uptime: .+\Z")
    sh.check("echo still here", "still here")
    # lumen starts it again: within 30 s, /proc works once more.
    deadline = time.monotonic() + 30
    while True:
        out = sh.run("sleep 1; cat /proc/uptime", timeout=20)
        if re.match(r"^\d+\.\d+ \d+\.\d+$", out):
            break
        if time.monotonic() > deadline:
            raise StepError(f"/proc/uptime after 30 s: {out[:100]}")
    sh.check_re("pidof procfs", r"^\d+$")


def step_init_protected(sh):
    """PID 1 takes only the signals it handles, even from root, as Linux's
    init: SIGKILL, SIGSTOP and SIGINT (not handled) change nothing. A
    stopped lumen would leave every path call hanging: ls would time out.
    (That an ordinary user cannot signal PID 1 and the servers at all is
    tests/user/perm.c's init_and_servers.)"""
    sh.check("kill -9 1; kill -STOP 1; kill -INT 1; echo $?", "0")
    sh.check("sleep 1; ls -d /proc/1", "/proc/1")
    sh.check_re("grep State /proc/1/status", r"^State:\s+[RS]")


STEPS = [
    ("echo", step_echo),
    ("status", step_status),
    ("loops", step_loops),
    ("subshell", step_subshell),
    ("builtin_pipe", step_builtin_pipe),
    ("ls_root", step_ls_root),
    ("files", step_files),
    ("trees", step_trees),
    ("symlink", step_symlink),
    ("text_tools", step_text_tools),
    ("pipe4", step_pipe4),
    ("stderr", step_stderr),
    ("command_subst", step_command_subst),
    ("background", step_background),
    ("ctrl_c", step_ctrl_c),
    ("tty_editing", step_tty_editing),
    ("job_control", step_job_control),
    ("ps", step_ps),
    ("uname", step_uname),
    ("df", step_df),
    ("free", step_free),
    ("vi", step_vi),
    ("kill_server", step_kill_server),
    ("init_protected", step_init_protected),
]
