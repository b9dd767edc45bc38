"""A node that dies mid-suite: a two-node Ray cluster on this machine (ray.cluster_utils.Cluster:
a head and a worker node, one CPU each), the worker node removed while it trains a run. Ray
retries the task on the node that is left (a system failure), the suite completes, and every
row is the one the local executor gives. Its own module: a Cluster is a Ray instance of its own."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
import ray
from _ray_hook import calls, control, install, one_ray_at_a_time, start_ray
from ray.cluster_utils import Cluster

from ganbench.harness.suite import plan_runs, run_suite

TIMING = {"wall_seconds", "train_seconds", "eval_seconds", "curve_eval_seconds"}


def _results(out: Path) -> dict[str, dict]:
    return {
        str(p.relative_to(out)): {k: v for k, v in json.loads(p.read_text()).items()
                                  if k not in TIMING}
        for p in sorted(out.glob("runs/*/*/seed*/result.json"))
    }  # fmt: skip


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with one_ray_at_a_time(tmp_path_factory):  # tests/_ray_hook.py
        yield from _cluster(tmp_path_factory)


def _cluster(tmp_path_factory):
    env = install(tmp_path_factory.mktemp("clusterhook"))
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)  # the nodes' processes inherit it
    made = []

    def start() -> None:
        for old in made:
            old.shutdown()
        made.clear()
        c = Cluster(
            initialize_head=True,
            head_node_args={"num_cpus": 1, "include_dashboard": False},
        )
        made.append(c)
        made.append(c.add_node(num_cpus=1))
        ray.init(address=c.address, logging_level="WARNING")
        c.wait_for_nodes()

    try:
        start_ray(start)
        c, worker = made
    finally:
        for k, v in saved.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
    yield c, worker, env
    ray.shutdown()
    c.shutdown()


def test_node_removed_mid_suite_is_retried_elsewhere(tmp_path, cluster):
    from ganbench.harness.ray_executor import RayExecutor

    c, worker, env = cluster
    specs = plan_runs(["gan", "lsgan"], ["ring8"], [0, 1], "smoke", "cpu", steps=20)
    local = run_suite(specs, tmp_path / "local")
    assert local.failed == 0

    control(env, sleep_on_node=worker.node_id, sleep=120)  # held there until the node goes
    removed = []

    def remove_when_busy() -> None:
        deadline = time.time() + 300
        while time.time() < deadline:
            if any(node == worker.node_id for _, node, *_ in calls(env)):
                c.remove_node(worker, allow_graceful=False)
                removed.append(time.time())
                return
            time.sleep(0.2)

    killer = threading.Thread(target=remove_when_busy, daemon=True)
    killer.start()
    executor = RayExecutor(max_retries=3)
    try:
        outcome = run_suite(specs, tmp_path / "ray", executor=executor)
    finally:
        executor.close()
    killer.join(5)
    assert removed, "a run should have reached the worker node"
    assert outcome.failed == 0 and outcome.ran == len(specs)
    on = [node for _, node, *_ in calls(env)]
    assert on.count(worker.node_id) == 1  # then retried on the head
    assert len(on) == len(specs) + 1
    assert _results(tmp_path / "ray") == _results(tmp_path / "local")
    boards = [pd.read_csv(tmp_path / w / "leaderboard.csv") for w in ("ray", "local")]
    boards = [b.drop(columns=[k for k in b.columns if k in TIMING]) for b in boards]
    pd.testing.assert_frame_equal(*boards)
