#!/usr/bin/env python3
"""Playbook benchmark: stackbook vs ansible-playbook, measured in the same run.

Generates playbooks of 10, 100 and 1000 trivial set_fact/debug tasks and one loop over 1000
items, runs each through both tools (best of N wall-clock runs, output discarded), and prints
the times and the ratio. Also measures stackbook's startup (a one-task playbook, best of 50).

Usage: bench/playbooks.py [--runs N] [--stackbook PATH] [--ansible-playbook PATH]
Defaults: target/release/stackbook (built with `cargo build --release`) and the oracle venv's
ansible-playbook (scripts/oracle-env.sh).
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def write_tasks(path, count):
    with open(path, "w") as f:
        f.write("- hosts: localhost\n  connection: local\n  gather_facts: false\n  tasks:\n")
        for i in range(count):
            if i % 2 == 0:
                f.write(f"    - set_fact:\n        v{i}: \"{{{{ {i} * 2 }}}}\"\n")
            else:
                f.write(f"    - debug:\n        msg: \"task {i} {{{{ v{i - 1} }}}}\"\n")


def write_loop(path, count):
    with open(path, "w") as f:
        f.write("- hosts: localhost\n  connection: local\n  gather_facts: false\n  tasks:\n")
        f.write(f"    - debug:\n        msg: \"{{{{ item }}}}\"\n      loop: \"{{{{ range({count}) | list }}}}\"\n")


def best_of(command, runs, env):
    best = None
    for _ in range(runs):
        start = time.perf_counter()
        result = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        elapsed = time.perf_counter() - start
        if result.returncode != 0:
            sys.exit(f"{' '.join(command)} failed ({result.returncode}): {result.stderr.decode()[-2000:]}")
        best = elapsed if best is None else min(best, elapsed)
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--stackbook", default=os.path.join(ROOT, "target", "release", "stackbook"))
    parser.add_argument("--ansible-playbook", dest="ansible")
    args = parser.parse_args()
    if not os.access(args.stackbook, os.X_OK):
        sys.exit(f"{args.stackbook} not found: run `cargo build --release` first")
    ansible = args.ansible
    if ansible is None:
        bindir = subprocess.run([os.path.join(ROOT, "scripts", "oracle-env.sh")], capture_output=True, text=True, check=True).stdout.strip()
        ansible = os.path.join(bindir, "ansible-playbook")

    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="0", ANSIBLE_LOCALHOST_WARNING="0",
               ANSIBLE_PYTHON_INTERPRETER="auto_silent", NO_COLOR="1")
    with tempfile.TemporaryDirectory(prefix="stackbook-bench-") as tmp:
        cases = []
        for count in (10, 100, 1000):
            path = os.path.join(tmp, f"tasks_{count}.yml")
            write_tasks(path, count)
            cases.append((f"{count} set_fact/debug tasks", path))
        path = os.path.join(tmp, "loop_1000.yml")
        write_loop(path, 1000)
        cases.append(("loop over 1000 items", path))

        print(f"{'case':<28} {'stackbook':>12} {'ansible-playbook':>18} {'ratio':>10}")
        for name, playbook in cases:
            ours = best_of([args.stackbook, "play", playbook], args.runs, env)
            theirs = best_of([ansible, "-i", "localhost,", playbook], args.runs, env)
            print(f"{name:<28} {ours * 1000:>10.1f}ms {theirs * 1000:>16.1f}ms {theirs / ours:>9.0f}x")

        one = os.path.join(tmp, "one.yml")
        write_tasks(one, 1)
        startup = best_of([args.stackbook, "play", one], 50, env)
        print(f"stackbook startup (one-task playbook, best of 50): {startup * 1000:.1f}ms (target < 20 ms)")


if __name__ == "__main__":
    main()
