"""Kill a small suite at random points, re-run it, and check that nothing was lost, duplicated,
changed or left half-written; corrupt files and check each is detected; count the processes a
killed driver leaves behind. Figures: docs/reliability.md ("Fault injection").

The suite: `ganbench run --preset smoke --variant gan lsgan --dataset ring8 --seeds 0 1 --steps S
--device cpu --jobs 2` under each executor:

- local   : the process pool; SIGKILL the driver, or one pool worker;
- ray     : `--executor ray` (the driver starts its own Ray); SIGKILL the driver or a Ray worker;
- cluster : `--executor ray --ray-address` a two-node Ray cluster on this machine
            (ray.cluster_utils.Cluster, head with no CPU); remove a node (ungracefully), or
            SIGKILL the driver or a worker.

Kill points are reached exactly: a sitecustomize hook (on PYTHONPATH, in every process of the
command: driver, pool workers, Ray workers) pauses the n-th occurrence of the chosen point and
says where (pid, Ray node); the script then kills the chosen target. Points: `training` (a run's
training starts), `evaluation` (its final scoring starts), `row` (a result.json is complete in
its temporary file, not yet renamed), `leaderboard` (leaderboard.csv, likewise), `report`
(report.html, likewise). n is drawn at random among the point's occurrences in one suite.

After every kill the same command is re-run to completion, then checked: every (variant, dataset,
seed) has one ok result (none lost), the leaderboard one row each (no duplicates), every result
equal to an uninterrupted run's (timings aside), and, between the kill and the re-run, every
file under a final name parses completely (no half-written file readable as valid). After every
driver kill the processes it started (found by an environment tag they inherit; under `cluster`,
Ray workers still running a ganbench task) are counted until none is left or GRACE seconds pass.

Corruption: random result.json files (runs and reference rows) are truncated or overwritten,
then the command re-run: each must be reported, moved aside (result.json.corrupt) and recomputed
to the same result. The same for the feature cache ($GANBENCH_CACHE: real features of mnist's
test split with the project network): a warning, moved aside (.corrupt), recomputed equal.

    python scripts/fault_injection.py                 # every executor, 2 rounds of kill points
    python scripts/fault_injection.py --short --json  # the tests' version (local, one kill)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TIMING = {"wall_seconds", "train_seconds", "eval_seconds", "curve_eval_seconds"}
GRACE = 120.0  # seconds a killed driver's processes get to end
POINTS = ("training", "evaluation", "row", "leaderboard", "report")
PLAN = {  # (target, point) per executor
    "local": [("driver", p) for p in POINTS]
    + [("worker", p) for p in ("training", "evaluation", "row")],
    "ray": [("driver", p) for p in POINTS] + [("worker", p) for p in ("training", "evaluation")],
    "cluster": [("node", "training"), ("node", "evaluation"), ("driver", "training"),
                ("worker", "evaluation")],
}  # fmt: skip

HOOK = r'''
import os, sys
if os.environ.get("GANBENCH_FI_CONTROL") and (
    sys.argv[0] in ("-m", "-c") or sys.argv[0].endswith("default_worker.py")
):
    import json, time
    from pathlib import Path

    def _node():
        try:
            import ray
            return ray.get_runtime_context().get_node_id() if ray.is_initialized() else "-"
        except Exception:
            return "-"

    def _pause(point, what=""):
        ctl = os.environ["GANBENCH_FI_CONTROL"]
        try:
            with open(ctl) as f:
                c = json.load(f)
        except (OSError, ValueError):
            return
        if c.get("point") != point:
            return
        count = ctl + "." + point + ".count"
        with open(count, "a") as f:
            f.write("x")
        if os.path.getsize(count) != int(c.get("nth", 1)):
            return
        with open(ctl + ".paused.tmp", "w") as f:
            f.write(f"{os.getpid()} {_node()} {point} {what}")
        os.replace(ctl + ".paused.tmp", ctl + ".paused")
        time.sleep(3600)

    import ganbench.core.io as _io
    import ganbench.harness.train as _t
    import ganbench.metrics.score as _s

    _train, _score = _t.train, _s.score

    def train(*a, **k):
        _pause("training")
        return _train(*a, **k)

    def score(*a, **k):
        _pause("evaluation")
        return _score(*a, **k)

    def _atomic(path, write):
        path = Path(path)
        tmp = _io._write_temp(path, write)
        scratch = "ganbench-ray-" in str(path)
        point = {"result.json": "row", "leaderboard.csv": "leaderboard",
                 "report.html": "report"}.get(path.name)
        if point and not scratch:
            _pause(point, str(path))
        try:
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    _t.train, _s.score, _io._atomic = train, score, _atomic
'''


VARIANTS = ["gan", "lsgan"]


def suite_cmd(out: Path, executor: str, address: str | None, steps: int) -> list[str]:
    cmd = [sys.executable, "-m", "ganbench.cli", "run", "--preset", "smoke", "--variant",
           *VARIANTS, "--dataset", "ring8", "--seeds", "0", "1", "--steps", str(steps), "--device",
           "cpu", "--jobs", "2", "--quiet", "--out", str(out)]  # fmt: skip
    if executor != "local":
        cmd += ["--executor", "ray"]
    if address:
        cmd += ["--ray-address", address]
    return cmd


def stable(row: dict) -> dict:
    return {k: v for k, v in row.items() if k not in TIMING}


def results(out: Path) -> dict[str, dict]:
    found = {}
    for p in sorted(out.glob("runs/*/*/seed*/result.json")):
        try:
            found[str(p.relative_to(out))] = stable(json.loads(p.read_text()))
        except ValueError:
            found[str(p.relative_to(out))] = {"unreadable": True}
    return found


def half_written(out: Path) -> list[str]:
    """Files under their final names that do not parse completely."""
    import pandas as pd
    import torch

    bad = []
    for p in out.rglob("*"):
        if not p.is_file() or p.name.endswith(".tmp") or p.name.endswith(".corrupt"):
            continue
        try:
            if p.suffix == ".json":
                json.loads(p.read_text())
            elif p.suffix == ".csv":
                pd.read_csv(p)
            elif p.suffix == ".png":
                if not p.read_bytes().endswith(b"IEND\xaeB`\x82"):
                    raise ValueError("no PNG end chunk")
            elif p.suffix == ".pt":
                torch.load(p, map_location="cpu", weights_only=True)
            elif p.suffix == ".html":
                if not p.read_text().rstrip().endswith("</html>"):
                    raise ValueError("no </html>")
        except Exception as exc:  # noqa: BLE001
            bad.append(f"{p.relative_to(out)}: {type(exc).__name__}")
    return bad


def tagged(tag: str) -> list[int]:
    """Pids whose environment carries GANBENCH_FI_TAG=tag (every process the command started,
    and the Ray processes its own Ray instance started)."""
    want = f"GANBENCH_FI_TAG={tag}".encode()
    pids = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            env = (d / "environ").read_bytes().split(b"\0")
            state = (d / "stat").read_text().rsplit(")", 1)[-1].split()[0]
        except OSError:
            continue
        if want in env and state != "Z":
            pids.append(int(d.name))
    return pids


def ganbench_tasks() -> list[int]:
    """Ray workers of this script's cluster (descendants of this process: its nodes) running a
    ganbench task (their process title is `ray::ganbench ...`); other Ray instances on the
    machine are not counted."""
    pids = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if (d / "cmdline").read_bytes().startswith(b"ray::ganbench") and _descends(
                    int(d.name), os.getpid()
                ):
                    pids.append(int(d.name))
            except OSError:
                pass
    return pids


def _descends(pid: int, root: int) -> bool:
    for _ in range(64):
        try:
            pid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[1])
        except (OSError, ValueError, IndexError):
            return False
        if pid == root:
            return True
        if pid <= 1:
            return False
    return False


class Leftovers(threading.Thread):
    """Counts, from the kill on (beside the re-run), the processes of a killed driver: those
    carrying its tag, and `before` (under `cluster`: the Ray workers running its tasks at the
    kill). `left`: how many were still there `grace` seconds after the kill (0 once none is);
    `seconds`: when the last one ended."""

    def __init__(self, tag: str, grace: float, before: list[int]) -> None:
        super().__init__(daemon=True)
        self.tag, self.grace, self.before = tag, grace, set(before)
        self.start_at = time.time()
        self.left, self.seconds = -1, grace

    def run(self) -> None:
        while True:
            alive = set(tagged(self.tag)) | {p for p in self.before if _alive(p)}
            elapsed = time.time() - self.start_at
            if not alive:
                self.left, self.seconds = 0, elapsed
                return
            if elapsed > self.grace:
                self.left, self.seconds = len(alive), elapsed
                return
            time.sleep(0.25)


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0] != "Z"
    except OSError:
        return False


class Runner:
    def __init__(self, work: Path, steps: int, grace: float) -> None:
        self.work, self.steps, self.grace = work, steps, grace
        hook = work / "hook"
        hook.mkdir(parents=True, exist_ok=True)
        (hook / "sitecustomize.py").write_text(HOOK)
        # a snapshot of the package: every command of the script runs the same code, however
        # the working tree changes meanwhile
        pkg = work / "pkg"
        shutil.rmtree(pkg, ignore_errors=True)
        shutil.copytree(ROOT / "ganbench", pkg / "ganbench",
                        ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
        self.env = {**os.environ, "OMP_NUM_THREADS": "1", "GANBENCH_CACHE": str(work / "cache")}
        self.env["PYTHONPATH"] = os.pathsep.join(
            [str(hook), str(pkg), *filter(None, [os.environ.get("PYTHONPATH")])]
        )
        self.ctl = work / "control.json"

    def start(self, cmd: list[str], tag: str, log: Path) -> subprocess.Popen:
        env = {**self.env, "GANBENCH_FI_TAG": tag, "GANBENCH_FI_CONTROL": str(self.ctl)}
        return subprocess.Popen(
            cmd, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True
        )

    def run(self, cmd: list[str], log: Path, timeout: float = 900) -> int:
        self.clear()
        p = self.start(cmd, uuid.uuid4().hex, log)
        try:
            return p.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            return -9

    def clear(self) -> None:
        for f in self.work.glob("control.json*"):
            f.unlink()

    def arm(self, point: str, nth: int) -> None:
        self.clear()
        self.ctl.write_text(json.dumps({"point": point, "nth": nth}))

    def paused(self, proc: subprocess.Popen, timeout: float = 600) -> list[str] | None:
        marker = Path(str(self.ctl) + ".paused")
        deadline = time.time() + timeout
        while time.time() < deadline:
            if marker.exists():
                return marker.read_text().split(" ", 3)
            if proc.poll() is not None:
                return None
            time.sleep(0.05)
        return None


def check(out: Path, reference: dict[str, dict]) -> dict[str, int]:
    import pandas as pd

    got = results(out)
    runs = {k: v for k, v in reference.items() if not k.startswith("runs/real/")}
    lost = sum(1 for k in runs if got.get(k, {}).get("status") != "ok")
    differ = sum(1 for k, v in reference.items() if k in got and got[k] != v)
    board = pd.read_csv(out / "leaderboard.csv")
    board = board[board["variant"] != "real"]
    counts = board.groupby(["variant", "dataset", "seed"]).size()
    dup = int((counts - 1).clip(lower=0).sum())
    lost += len(runs) - len(counts) if len(counts) < len(runs) else 0
    return {"lost": lost, "duplicates": dup, "differ": differ}


def kill_round(
    r: Runner, executor: str, target: str, point: str, nth: int, rep: int, ref: dict, cluster
) -> dict:
    out = r.work / f"{executor}-{rep}"
    shutil.rmtree(out, ignore_errors=True)
    cmd = suite_cmd(out, executor, cluster.address if cluster else None, r.steps)
    tag = uuid.uuid4().hex
    r.arm(point, nth)
    proc = r.start(cmd, tag, r.work / f"{executor}-{rep}.kill.log")
    where = r.paused(proc)
    rec = {"executor": executor, "target": target, "point": point, "nth": nth, "killed": False}
    if where is None:  # the point's n-th occurrence never came (e.g. a run failed first)
        proc.kill()
        proc.wait()
        r.clear()
        return rec
    pid, node = int(where[0]), where[1]
    if target == "driver":
        os.kill(proc.pid, signal.SIGKILL)
    elif target == "worker":
        r.clear()  # the retry must not pause again
        os.kill(pid, signal.SIGKILL)
    else:  # node
        r.clear()
        victim = next(n for n in cluster.list_all_nodes() if n.node_id == node)
        cluster.remove_node(victim, allow_graceful=False)
        cluster.add_node(num_cpus=1)  # the cluster gets a replacement machine
    rec["killed"] = True
    if target == "driver":
        # under `cluster`: the Ray workers running this driver's ganbench tasks at the kill
        watch = Leftovers(tag, r.grace, ganbench_tasks() if cluster else [])
        watch.start()
        proc.wait()
        rec["half_written"] = half_written(out) if out.exists() else []
        r.clear()
        first_rc = None
    else:
        try:
            first_rc = proc.wait(900)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            first_rc = -9
        rec["half_written"] = half_written(out)
    rec["first_rc"] = first_rc
    rec["rerun_rc"] = r.run(cmd, r.work / f"{executor}-{rep}.rerun.log")
    if target == "driver":
        watch.join()
        rec["leftover"], rec["seconds_to_none"] = watch.left, round(watch.seconds, 2)
    rec.update(check(out, ref))
    return rec


def corrupt(path: Path, rng: random.Random) -> str:
    data = path.read_bytes()
    if rng.random() < 0.5 and len(data) > 2:
        path.write_bytes(data[: rng.randrange(1, len(data) - 1)])
        return "truncated"
    path.write_bytes(bytes(rng.randrange(256) for _ in range(64)))
    return "garbage"


def corruption_rounds(r: Runner, ref_out: Path, ref: dict, n: int, rng: random.Random) -> dict:
    out = r.work / "corrupt"
    tried = detected = 0
    for i in range(n):
        shutil.rmtree(out, ignore_errors=True)
        shutil.copytree(ref_out, out)
        files = sorted(out.glob("runs/*/*/seed*/result.json"))
        victim = rng.choice(files)
        how = corrupt(victim, rng)
        log = r.work / f"corrupt-{i}.log"
        rc = r.run(suite_cmd(out, "local", None, r.steps), log)
        said = victim.parent.name in log.read_text() and "corrupt" in log.read_text()
        aside = victim.with_suffix(".json.corrupt").exists()
        same = results(out) == ref
        tried += 1
        detected += int(rc == 0 and said and aside and same)
        print(f"  corrupt {victim.relative_to(out)} ({how}): warned={said} aside={aside} "
              f"recomputed-equal={same}", flush=True)  # fmt: skip
    return {"tried": tried, "detected": detected}


CACHE_SCRIPT = """
import sys, torch
from ganbench.data import get_dataset
from ganbench.metrics.features import resolve_feature_space
from ganbench.metrics.fidelity import real_features
f = real_features(get_dataset("mnist"), "test", resolve_feature_space("auto", "mnist"))
torch.save(f, sys.argv[1])
"""


def cache_rounds(r: Runner, n: int, rng: random.Random) -> dict:
    cache = Path(r.env["GANBENCH_CACHE"])
    first = r.work / "features-first.pt"
    subprocess.run([sys.executable, "-c", CACHE_SCRIPT, str(first)], env=r.env, check=True)
    import torch

    want = torch.load(first, weights_only=True)
    tried = detected = 0
    for i in range(n):
        files = sorted(p for p in cache.glob("*.pt"))
        victim = rng.choice(files)
        how = corrupt(victim, rng)
        again = r.work / f"features-{i}.pt"
        p = subprocess.run([sys.executable, "-c", CACHE_SCRIPT, str(again)], env=r.env,
                           capture_output=True, text=True)  # fmt: skip
        said = "is corrupt" in p.stderr and victim.name in p.stderr and "recomputing" in p.stderr
        aside = victim.with_name(victim.name + ".corrupt").exists()
        got = torch.load(again, weights_only=True) if p.returncode == 0 else {}
        same = bool(got) and all(torch.equal(got[k], want[k]) for k in want)
        tried += 1
        detected += int(said and aside and same and victim.exists())
        print(f"  corrupt cache {victim.name} ({how}): warned={said} aside={aside} "
              f"recomputed-equal={same}", flush=True)  # fmt: skip
        for old in cache.glob("*.corrupt"):
            old.unlink()
    return {"tried": tried, "detected": detected}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--executors", nargs="+", default=["local", "ray", "cluster"],
                    choices=["local", "ray", "cluster"])  # fmt: skip
    ap.add_argument("--rounds", type=int, default=2, help="times through each executor's plan")
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--corruptions", type=int, default=6)
    ap.add_argument("--cache-corruptions", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--grace", type=float, default=GRACE)
    ap.add_argument("--work", type=Path, help="work folder (default: a temporary one, removed)")
    ap.add_argument("--short", action="store_true", help="the tests' version: local, 1 kill")
    ap.add_argument("--json", action="store_true", help="print the summary as JSON last")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    if args.short:
        args.executors, args.corruptions, args.cache_corruptions = ["local"], 1, 0
        args.steps = min(args.steps, 20)
        VARIANTS[:] = ["gan"]
    work = args.work or Path(tempfile.mkdtemp(prefix="ganbench-fi-"))
    work.mkdir(parents=True, exist_ok=True)
    r = Runner(work, args.steps, args.grace)
    t0 = time.time()

    ref_out = work / "reference"
    shutil.rmtree(ref_out, ignore_errors=True)
    rc = r.run(suite_cmd(ref_out, "local", None, args.steps), work / "reference.log")
    if rc != 0:
        print(f"the uninterrupted suite failed (exit {rc}); see {work / 'reference.log'}")
        return 2
    ref = results(ref_out)

    records = []
    for executor in args.executors:
        plan = list(PLAN[executor])
        if args.short:
            plan = [("driver", "row")]
        cluster = None
        if executor == "cluster":
            cluster = start_cluster(r.env)
        try:
            for _ in range(1 if args.short else args.rounds):
                for target, point in plan:
                    runs = 2 * len(VARIANTS)  # per suite: training, evaluation, row each
                    nth = rng.randint(1, runs if point in ("training", "evaluation", "row") else 1)
                    rep = len(records)
                    rec = kill_round(r, executor, target, point, nth, rep, ref, cluster)
                    records.append(rec)
                    print(json.dumps(rec), flush=True)
        finally:
            if cluster is not None:
                import ray

                ray.shutdown()
                cluster.shutdown()

    corr = corruption_rounds(r, ref_out, ref, args.corruptions, rng)
    cache = cache_rounds(r, args.cache_corruptions, rng) if args.cache_corruptions else {
        "tried": 0, "detected": 0}  # fmt: skip
    killed = [x for x in records if x["killed"]]
    driver = [x for x in killed if x["target"] == "driver"]
    summary = {
        "kills_tried": len(records),
        "kills_done": len(killed),
        "kill_points_covered": sorted({f"{x['executor']}:{x['target']}@{x['point']}"
                                       for x in killed}),
        "rows_lost": sum(x["lost"] for x in killed),
        "duplicates": sum(x["duplicates"] for x in killed),
        "results_differing": sum(x["differ"] for x in killed),
        "half_written_readable": sum(len(x["half_written"]) for x in killed),
        "reruns_failed": sum(x["rerun_rc"] != 0 for x in killed),
        "corruptions_tried": corr["tried"] + cache["tried"],
        "corruptions_detected": corr["detected"] + cache["detected"],
        "driver_kills": len(driver),
        "leftover_processes": sum(x["leftover"] for x in driver),
        "max_seconds_until_no_process_left": round(
            max([x["seconds_to_none"] for x in driver], default=0.0), 1),
        "minutes": round((time.time() - t0) / 60, 1),
    }  # fmt: skip
    print(f"kills tried: {summary['kills_tried']} ({summary['kills_done']} reached their point)")
    print(f"kill points covered: {len(summary['kill_points_covered'])}: "
          + ", ".join(summary["kill_points_covered"]))  # fmt: skip
    print(f"rows lost: {summary['rows_lost']}; duplicates: {summary['duplicates']}; results "
          f"differing from an uninterrupted run: {summary['results_differing']}; half-written "
          f"files readable: {summary['half_written_readable']}; re-runs failed: "
          f"{summary['reruns_failed']}")  # fmt: skip
    print(f"corruptions detected: {summary['corruptions_detected']} of "
          f"{summary['corruptions_tried']}")  # fmt: skip
    print(f"leftover processes after {summary['driver_kills']} driver kills: "
          f"{summary['leftover_processes']} (all gone within "
          f"{summary['max_seconds_until_no_process_left']} s)")  # fmt: skip
    if args.json:
        print(json.dumps(summary))
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    bad = (summary["rows_lost"] or summary["duplicates"] or summary["results_differing"]
           or summary["half_written_readable"] or summary["leftover_processes"]
           or summary["reruns_failed"]
           or summary["corruptions_detected"] != summary["corruptions_tried"])  # fmt: skip
    return 1 if bad else 0


def start_cluster(env: dict[str, str]):
    """A Ray cluster on this machine: a head that runs no task, two 1-CPU worker nodes; the
    nodes inherit the hook's environment (set in this process before they start)."""
    import ray
    from ray.cluster_utils import Cluster

    os.environ.update({k: env[k] for k in ("PYTHONPATH", "GANBENCH_CACHE", "OMP_NUM_THREADS")})
    os.environ["GANBENCH_FI_CONTROL"] = env.get("GANBENCH_FI_CONTROL") or str(
        Path(env["GANBENCH_CACHE"]).parent / "control.json"
    )
    c = Cluster(initialize_head=True, head_node_args={"num_cpus": 0, "include_dashboard": False})
    c.add_node(num_cpus=1)
    c.add_node(num_cpus=1)
    c.wait_for_nodes()
    ray.init(address=c.address, logging_level="WARNING")  # so that list_all_nodes is current
    return c


if __name__ == "__main__":
    sys.exit(main())
