#!/usr/bin/env python3
"""Run the `age` CLI under a pseudo-terminal and type a passphrase into it.

`age -p` / `age -d` of a passphrase file read the passphrase from the
terminal only, so fixture generation and the live interop tests drive it
through a pty. Usage: age_tty.py PASSPHRASE age ARGS...
Answers every "passphrase" prompt with PASSPHRASE; exits with age's status.
"""
import os
import pty
import sys


def main() -> int:
    if len(sys.argv) < 3:
        print("usage: age_tty.py PASSPHRASE CMD [ARGS...]", file=sys.stderr)
        return 2
    passphrase = sys.argv[1].encode()
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(sys.argv[2], sys.argv[2:])
    seen = b""
    answered = 0
    while True:
        try:
            chunk = os.read(fd, 1024)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
        # Each prompt ends in ':' after the word "passphrase".
        prompts = seen.lower().count(b"passphrase")
        while answered < prompts and seen.rstrip().endswith(b":"):
            os.write(fd, passphrase + b"\r")
            answered += 1
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.stderr.write(seen.decode(errors="replace"))
    return code


if __name__ == "__main__":
    sys.exit(main())
