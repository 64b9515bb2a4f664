#!/usr/bin/env python3
"""Many-hosts benchmark: stackbook vs ansible-playbook, measured in the same run.

Generates an INI inventory of N hosts (default 1000, all `ansible_connection=local`) and a
play of T trivial set_fact/debug tasks (default 20) on `all`, runs it through both tools with
the same `--forks`, and prints wall-clock time, the ratio, and the peak resident memory of
each tool (the largest single process: for ansible-playbook that is the controller, its
forked workers are smaller).

ansible-playbook needs minutes for 1000 hosts x 20 tasks on a small machine. With
`--peer-tasks K` it runs only K of the tasks and its time is scaled by T/K (reported as such);
per-task cost is flat in Ansible's linear strategy, so the scaling is fair.

Usage: bench/hosts.py [--hosts N] [--tasks T] [--forks F] [--peer-tasks K]
                      [--stackbook PATH] [--ansible-playbook PATH]
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


def write_inventory(path, hosts):
    width = len(str(hosts))
    with open(path, "w") as f:
        f.write(f"[nodes]\nnode[{1:0{width}d}:{hosts:0{width}d}]\n\n")
        f.write("[nodes:vars]\nansible_connection=local\n")


def write_play(path, tasks):
    with open(path, "w") as f:
        f.write("- hosts: all\n  gather_facts: false\n  tasks:\n")
        for i in range(tasks):
            if i % 2 == 0:
                f.write(f"    - set_fact:\n        v{i}: \"{{{{ inventory_hostname }}}}-{i}\"\n")
            else:
                f.write(f"    - debug:\n        msg: \"task {i} {{{{ v{i - 1} }}}}\"\n")


def measure(command, env):
    """Wall-clock seconds and peak RSS (MiB) of the largest process of the run."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    stderr = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"{' '.join(command)} failed ({code}): {stderr.decode()[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024.0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--tasks", type=int, default=20)
    parser.add_argument("--forks", type=int, default=10)
    parser.add_argument("--peer-tasks", type=int, dest="peer_tasks", help="tasks for ansible-playbook (time scaled)")
    parser.add_argument("--stackbook", default=os.path.join(ROOT, "target", "release", "stackbook"))
    parser.add_argument("--ansible-playbook", dest="ansible")
    args = parser.parse_args()
    if not os.access(args.stackbook, os.X_OK):
        sys.exit(f"{args.stackbook} not found: run `cargo build --release` first")
    ansible = args.ansible
    if ansible is None:
        bindir = subprocess.run([os.path.join(ROOT, "scripts", "oracle-env.sh")], capture_output=True, text=True, check=True).stdout.strip()
        ansible = os.path.join(bindir, "ansible-playbook")
    peer_tasks = min(args.peer_tasks or args.tasks, args.tasks)

    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="0", ANSIBLE_LOCALHOST_WARNING="0",
               ANSIBLE_HOST_KEY_CHECKING="0", ANSIBLE_PYTHON_INTERPRETER="auto_silent", NO_COLOR="1")
    with tempfile.TemporaryDirectory(prefix="stackbook-bench-hosts-") as tmp:
        inventory = os.path.join(tmp, "hosts.ini")
        write_inventory(inventory, args.hosts)
        ours_play = os.path.join(tmp, "play.yml")
        write_play(ours_play, args.tasks)
        peer_play = os.path.join(tmp, "peer.yml")
        write_play(peer_play, peer_tasks)

        ours, ours_mem = measure([args.stackbook, "play", "-i", inventory, "--forks", str(args.forks), ours_play], env)
        theirs, theirs_mem = measure([ansible, "-i", inventory, "--forks", str(args.forks), peer_play], env)
        scale = args.tasks / peer_tasks
        theirs_full = theirs * scale

        print(f"{args.hosts} hosts x {args.tasks} tasks, connection local, forks {args.forks}")
        print(f"{'tool':<18} {'wall':>12} {'peak RSS':>12}")
        print(f"{'stackbook':<18} {ours:>11.2f}s {ours_mem:>9.1f}MiB")
        note = "" if scale == 1 else f"  (ran {peer_tasks} tasks in {theirs:.1f}s, scaled x{scale:g})"
        print(f"{'ansible-playbook':<18} {theirs_full:>11.2f}s {theirs_mem:>9.1f}MiB{note}")
        ratio = theirs_full / ours
        print(f"ratio: {ratio:.0f}x faster (target >= 50x){'' if ratio >= 50 else '  BELOW TARGET'}")


if __name__ == "__main__":
    main()
