#!/usr/bin/env python3
"""Run one command and print what it cost, as one JSON line (used by `cargo xtask bench`).

  measure.py [--stdout FILE] [--stderr FILE] -- PROGRAM ARGS...

The command is started with posix_spawn and reaped with wait4(2), whose rusage is the
kernel's own account of the child: ru_utime + ru_stime (CPU seconds of the child and every
descendant it waited for) and ru_maxrss (the peak resident set of the child or of its largest
waited-for descendant, in KiB: a maximum over processes, not a sum). Wall time is taken around
spawn and wait with a monotonic clock. stdout/stderr go to the given files (default /dev/null).

Prints: {"wall_s": .., "user_s": .., "sys_s": .., "max_rss_kib": .., "exit": ..}
"""
import json
import os
import sys
import time


def main():
    args = sys.argv[1:]
    files = {"--stdout": os.devnull, "--stderr": os.devnull}
    while args and args[0] != "--":
        if args[0] not in files or len(args) < 2:
            sys.exit(f"measure.py: unexpected argument {args[0]!r}")
        files[args[0]] = args[1]
        args = args[2:]
    argv = args[1:]
    if not argv:
        sys.exit("measure.py: no command given")
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, files["--stdout"], flags, 0o644),
        (os.POSIX_SPAWN_OPEN, 2, files["--stderr"], flags, 0o644),
    ]
    start = time.perf_counter()
    pid = os.posix_spawnp(argv[0], argv, os.environ, file_actions=actions)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    print(json.dumps({
        "wall_s": round(wall, 4),
        "user_s": round(usage.ru_utime, 4),
        "sys_s": round(usage.ru_stime, 4),
        "max_rss_kib": usage.ru_maxrss,
        "exit": os.waitstatus_to_exitcode(status),
    }))


if __name__ == "__main__":
    main()
