"""Run a command and report its wall time and the peak memory of its whole process tree, sampled
every 0.2 s: the sum of PSS (proportional set size: a page shared by k processes counts 1/k in each,
so torch's shared libraries count once) and, for reference, the sum of RSS (which counts shared
pages once per process). /usr/bin/time -v reports only the largest single process, which
undercounts `ganbench run --jobs N`.

    python scripts/peak_memory.py -- .venv/bin/ganbench run --all --out runs/demo
"""

from __future__ import annotations

import os
import subprocess
import sys
import time


def _rollup(pid: str) -> tuple[int, int]:
    """(RSS, PSS) in bytes from /proc/PID/smaps_rollup."""
    rss = pss = 0
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith("Rss:"):
                rss = int(line.split()[1]) * 1024
            elif line.startswith("Pss:"):
                pss = int(line.split()[1]) * 1024
    return rss, pss


def tree_memory_bytes(root: int) -> tuple[int, int]:
    """(summed RSS, summed PSS) of `root` and all its descendants."""
    children: dict[int, list[int]] = {}
    mem: dict[int, tuple[int, int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            mem[int(entry)] = _rollup(entry)
        except (OSError, ValueError):
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    rss = pss = 0
    stack = [root]
    while stack:
        pid = stack.pop()
        r, p = mem.get(pid, (0, 0))
        rss, pss = rss + r, pss + p
        stack.extend(children.get(pid, []))
    return rss, pss


def main() -> int:
    cmd = sys.argv[sys.argv.index("--") + 1 :] if "--" in sys.argv else sys.argv[1:]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd)
    peak_rss = peak_pss = 0
    while proc.poll() is None:
        rss, pss = tree_memory_bytes(proc.pid)
        peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
        time.sleep(0.2)
    wall = time.perf_counter() - start
    print(
        f"peak_memory: wall {wall:.1f} s, peak memory {peak_pss / 1e9:.2f} GB "
        f"(summed PSS; summed RSS {peak_rss / 1e9:.2f} GB), exit {proc.returncode}",
        file=sys.stderr,
    )
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
