"""Fault injection for the Ray tests (tests/test_ray_executor.py, tests/test_ray_cluster.py) and
scripts/fault_injection.py. HOOK is written as sitecustomize.py into a folder put on PYTHONPATH
before Ray starts, so every Ray worker loads it: it wraps ganbench.harness.train.train to log one
line per training call (pid, node, variant, dataset, seed) to $GANBENCH_TEST_TRAIN_LOG, counted
from outside the code under test, and reads $GANBENCH_TEST_CONTROL (JSON, read at every call, so
one Ray instance serves every test) for what to do to the call:

- "fail": [seeds]: raise RuntimeError (an application error);
- "die": {seed: n}: os._exit(9), as under the OOM killer, the first n times that seed trains;
- "sleep_on_node": node id, "sleep": seconds: sleep first when running on that node.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

HOOK = r'''
import json, os, time
import torch
import ganbench.harness.train as _t

_train = _t.train


def _control():
    try:
        with open(os.environ["GANBENCH_TEST_CONTROL"]) as f:
            return json.load(f)
    except (KeyError, OSError, ValueError):
        return {}


def _node():
    try:
        import ray
        return ray.get_runtime_context().get_node_id() if ray.is_initialized() else "-"
    except Exception:
        return "-"


def train(variant, data, *a, **k):
    seed = torch.initial_seed()
    node = _node()
    log = os.environ.get("GANBENCH_TEST_TRAIN_LOG")
    if log:
        with open(log, "a") as f:
            f.write(f"{os.getpid()} {node} {type(variant).__name__} {data.spec.name} {seed}\n")
    c = _control()
    if c.get("sleep_on_node") == node:
        time.sleep(float(c.get("sleep", 30)))
    if seed in c.get("fail", []):
        raise RuntimeError(f"boom: deliberately broken (seed {seed})")
    times = int(c.get("die", {}).get(str(seed), 0))
    if times:
        deaths = os.environ["GANBENCH_TEST_CONTROL"] + f".died{seed}"
        with open(deaths, "a") as f:
            f.write("x")
        if os.path.getsize(deaths) <= times:
            os._exit(9)
    return _train(variant, data, *a, **k)


_t.train = train
'''


def install(folder: Path) -> dict[str, str]:
    """Write the hook under `folder`; the environment variables that switch it on."""
    hook = folder / "hook"
    hook.mkdir(parents=True, exist_ok=True)
    (hook / "sitecustomize.py").write_text(HOOK)
    path = os.pathsep.join([str(hook), *filter(None, [os.environ.get("PYTHONPATH")])])
    return {
        "PYTHONPATH": path,
        "GANBENCH_TEST_TRAIN_LOG": str(folder / "train.log"),
        "GANBENCH_TEST_CONTROL": str(folder / "control.json"),
    }


def control(env: dict[str, str], **what: object) -> None:
    """Set what the hook does from now on (and forget earlier deaths)."""
    path = Path(env["GANBENCH_TEST_CONTROL"])
    for old in path.parent.glob(path.name + ".died*"):
        old.unlink()
    path.write_text(json.dumps(what))


def calls(env: dict[str, str]) -> list[tuple[str, str, str, str, int]]:
    """(pid, node, variant class, dataset, seed) per training call so far."""
    log = Path(env["GANBENCH_TEST_TRAIN_LOG"])
    if not log.exists():
        return []
    out = []
    for line in log.read_text().splitlines():
        pid, node, cls, data, seed = line.split()
        out.append((pid, node, cls, data, int(seed)))
    return out


def reset_calls(env: dict[str, str]) -> None:
    Path(env["GANBENCH_TEST_TRAIN_LOG"]).unlink(missing_ok=True)


def start_ray(start, tries: int = 3) -> None:
    """`start()` (a ray.init, a Cluster), tried again on a slow start: Ray gives a node 30 s to
    register, which a loaded machine can miss. A skip naming the reason only when Ray cannot
    start at all."""
    import pytest
    import ray

    for attempt in range(tries):
        try:
            start()
            return
        except Exception as exc:  # noqa: BLE001
            ray.shutdown()
            if attempt == tries - 1:
                pytest.skip(f"Ray cannot start on this machine: {type(exc).__name__}: {exc}")


@contextlib.contextmanager
def one_ray_at_a_time(tmp_path_factory) -> Iterator[None]:
    """Hold an exclusive lock shared by the xdist workers of this test session while a Ray
    instance of a test module lives: on a 2-core machine two Ray instances starting together can
    miss Ray's 30 s start-up limit. (xdist's `loadgroup` would do it, but does not group under
    pytest 9 here.)"""
    import fcntl

    root = Path(tmp_path_factory.getbasetemp())
    lock = (root.parent if root.name.startswith("popen-") else root) / "ganbench-ray.lock"
    with open(lock, "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)
