"""Command line: argument parsing only; every command is one call into the library."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ganbench.core.errors import GanbenchError


def _positive_int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None


def _executor_args(p: argparse.ArgumentParser) -> None:
    """--executor and the Ray options, for run and reproduce (docs/scale-out.md)."""
    p.add_argument(
        "--executor",
        choices=("local", "ray"),
        default="local",
        help="where runs execute: local (this process or --jobs worker processes; default) or "
        "ray (each run a Ray task; needs pip install 'ganbench[ray]')",
    )
    p.add_argument(
        "--ray-address",
        metavar="auto|HOST:PORT",
        help="the Ray cluster to run on (default: start a local Ray instance for this command)",
    )
    p.add_argument(
        "--ray-gpus-per-run",
        type=float,
        default=1.0,
        metavar="F",
        help="GPUs each CUDA run declares to Ray: 1 (default), or a fraction (0.5: two per GPU)",
    )
    p.add_argument(
        "--ray-shared-fs",
        action="store_true",
        help="Ray tasks write run folders straight under --out, which every node mounts at the "
        "same path (default: results come back through Ray; no shared disk needed)",
    )


def _open_executor(args: argparse.Namespace) -> object | None:
    """None for --executor local (Ray options refused), else a started RayExecutor: a missing
    Ray is a one-line error naming the extra, before anything is written."""
    if args.executor == "local":
        given = [f for f in ("ray_address", "ray_shared_fs") if getattr(args, f)]
        if given or args.ray_gpus_per_run != 1.0:
            raise GanbenchError("the --ray-* options need --executor ray")
        return None
    from ganbench.harness.plan import resolve_jobs
    from ganbench.harness.ray_executor import RayExecutor

    jobs = None if str(args.jobs) == "auto" else resolve_jobs(args.jobs, "cpu")
    return RayExecutor(
        address=args.ray_address,
        jobs=jobs,
        gpus_per_run=args.ray_gpus_per_run,
        shared_fs=args.ray_shared_fs,
    )


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ganbench", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    ls = sub.add_parser("list", help="list the registered variants")
    ls.add_argument("pattern", nargs="?", default="*", help="glob over names, e.g. 'wgan*'")
    ls.add_argument(
        "--datasets", action="store_true", help="list the datasets (task kind, relation) instead"
    )

    run = sub.add_parser("run", help="train and score variants; write leaderboards")
    which = run.add_mutually_exclusive_group(required=True)
    which.add_argument("--all", action="store_true", help="every registered variant")
    which.add_argument("--variant", nargs="+", metavar="NAME", help="these variants")
    run.add_argument(
        "--dataset",
        nargs="+",
        metavar="NAME",
        help="datasets (default: every default dataset each variant supports); your own data as "
        "folder:PATH, npz:PATH[:KEY], torchvision:NAME:ROOT",
    )
    _data_source_args(run)
    run.add_argument("--seeds", nargs="+", type=_positive_int, default=[0], metavar="K")
    run.add_argument("--preset", default="quick", help="smoke | quick | standard (default quick)")
    run.add_argument("--device", default="auto", help="auto | cpu | cuda (default auto)")
    run.add_argument("--out", type=Path, default=Path("runs/ganbench"), help="output folder")
    run.add_argument("--steps", type=_positive_int, help="override the preset's generator steps")
    run.add_argument("--batch-size", type=_positive_int, help="override the preset's batch size")
    run.add_argument("--max-seconds", type=float, help="wall-clock cap per run's training")
    run.add_argument(
        "--hp",
        action="append",
        metavar="KEY=VALUE",
        help="override a hyper-parameter of the variants (repeatable), e.g. --hp gp_weight=0.1; "
        "recorded in the `hp` column, and such runs get their own folders",
    )
    run.add_argument("--features", default="auto", help=FEATURES_HELP)
    run.add_argument(
        "--inception-weights",
        type=Path,
        help="path to weights-inception-2015-12-05-6726825d.pth (for --features inception)",
    )
    run.add_argument(
        "--jobs",
        default="auto",
        help="runs side by side: a number, or auto (CPU: one per core; GPU: 1; "
        "--executor ray: what the cluster holds)",
    )
    run.add_argument(
        "--precision",
        default="fp32",
        help="training arithmetic: fp32 (default), tf32, bf16 (autocast), bf16-cl "
        "(+ channels_last); evaluation stays fp32",
    )
    run.add_argument(
        "--max-minutes",
        type=float,
        metavar="M",
        help="start no new run after M minutes (runs already going finish; leaderboards are "
        "written for what is done); the same command again continues where it stopped",
    )
    run.add_argument(
        "--batch-seeds",
        action="store_true",
        help="train the seeds of each supported variant as one batched model (2-D data; rows say "
        "`batched`; the same numbers in distribution as separate runs, not bit for bit)",
    )
    run.add_argument(
        "--quiet", action="store_true", help="no progress lines (errors and warnings still print)"
    )
    run.add_argument(
        "--no-report", action="store_true", help="skip writing report.html / report.md at the end"
    )
    _executor_args(run)

    rep = sub.add_parser(
        "report", help="write DIR/report.html and DIR/report.md from DIR's results"
    )
    rep.add_argument("dir", type=Path, metavar="DIR", help="the --out folder of `ganbench run`")

    cmp_ = sub.add_parser(
        "compare",
        help="compare two variants metric by metric, with a significance test across seeds",
    )
    cmp_.add_argument("dir", type=Path, metavar="DIR", help="the --out folder of `ganbench run`")
    cmp_.add_argument("--variants", nargs=2, required=True, metavar=("A", "B"))
    cmp_.add_argument("--dataset", help="only this dataset (default: every dataset both ran on)")

    ev = sub.add_parser(
        "eval",
        help="score your own generator or translator with the same metrics (see docs/plugins.md)",
    )
    plugin = ev.add_mutually_exclusive_group(required=True)
    plugin.add_argument(
        "--generator",
        metavar="MODULE:ATTR",
        help="MODULE:ATTR or path/to/file.py:ATTR: an nn.Module taking noise, a "
        "sample(n, device) callable, or a factory returning either (generation datasets)",
    )
    plugin.add_argument(
        "--translator",
        metavar="MODULE:ATTR",
        help="MODULE:ATTR or path/to/file.py:ATTR: an nn.Module T(a) or T(a, mask), a "
        "translate(a, mask=None) callable, or a factory returning either (translation datasets)",
    )
    plugin.add_argument(
        "--samples",
        metavar="PATH",
        help="saved samples: a folder of images or an .npz/.npy array, scored against --dataset "
        "or --reference",
    )
    ev.add_argument(
        "--dataset", metavar="NAME", help="the dataset to score against (folder:PATH etc. too)"
    )
    ev.add_argument(
        "--reference",
        metavar="PATH",
        help="with --samples: a folder of images or an .npz/.npy array to score them against "
        "(all of it; no dataset needed)",
    )
    _data_source_args(ev)
    ev.add_argument(
        "--name", help="its name in the leaderboard (default: from --generator / --translator)"
    )
    ev.add_argument("--seeds", nargs="+", type=_positive_int, default=[0], metavar="K")
    ev.add_argument("--out", type=Path, default=Path("runs/ganbench"), help="output folder")
    ev.add_argument(
        "--preset",
        default="quick",
        help="evaluation sample counts of this preset: smoke | quick | standard",
    )
    ev.add_argument("--device", default="auto", help="auto | cpu | cuda (default auto)")
    ev.add_argument(
        "--timeout",
        type=float,
        default=60.0,
        metavar="S",
        help="seconds any one call into the plug-in may take (default 60)",
    )
    ev.add_argument(
        "--latent-dim",
        type=_positive_int,
        help="noise size for a --generator nn.Module without a latent_dim attribute",
    )
    ev.add_argument("--features", default="auto", help=FEATURES_HELP)
    ev.add_argument("--no-report", action="store_true", help="skip rewriting the report")
    ev.add_argument("--quiet", action="store_true", help="no progress lines")

    gj = sub.add_parser(
        "gpu-job",
        help="everything a lent GPU should do, in order of value, resumable (ganbench/jobs/gpu.py)",
    )
    gj.add_argument("--out", type=Path, default=Path("runs/gpu-job"), help="output folder")
    gj.add_argument("--device", default="cuda", help="cuda (default) | auto | cpu")
    gj.add_argument(
        "--max-minutes", type=float, metavar="M",
        help="start no new unit of work after M minutes; the same command resumes",
    )  # fmt: skip
    gj.add_argument(
        "--dry-run", action="store_true",
        help="the same code paths at tiny budgets on the CPU (what CI runs)",
    )  # fmt: skip
    gj.add_argument("--steps", nargs="+", metavar="STEP", help="only these steps, in job order")

    rp = sub.add_parser(
        "reproduce",
        help="re-run a published table through the harness; write reproduction.csv / .md",
    )
    rp.add_argument("name", nargs="?", metavar="NAME", help="a protocol (see --list)")
    rp.add_argument("--list", action="store_true", help="list the reproduction protocols")
    rp.add_argument("--trials", type=_positive_int, help="trials per cell (default: the paper's)")
    rp.add_argument(
        "--scale", type=float, default=1.0, help="fraction of the paper's steps (default 1)"
    )
    rp.add_argument("--device", default="auto", help="auto | cpu | cuda (default auto)")
    rp.add_argument(
        "--out", type=Path, help="output folder (default runs/reproduce/NAME-scaleF)"
    )
    rp.add_argument(
        "--max-minutes",
        type=float,
        metavar="M",
        help="start no new trial after M minutes; the same command resumes",
    )
    rp.add_argument(
        "--jobs", default="auto", help="trials side by side: a number, or auto (as for run)"
    )
    rp.add_argument("--precision", default="fp32", help="as for run (default fp32)")
    rp.add_argument(
        "--tables-only",
        action="store_true",
        help="train nothing: rewrite reproduction.csv / .md and the report from the finished "
        "trials in --out",
    )
    rp.add_argument(
        "--batch-trials",
        action="store_true",
        help="train the trials of a cell as one batched (vmapped) model where its variant "
        "supports it (as run --batch-seeds)",
    )
    rp.add_argument(
        "--dataset",
        nargs="+",
        metavar="NAME",
        help="only the protocol's cells on these datasets (default: all of them)",
    )
    rp.add_argument("--quiet", action="store_true", help="no progress lines")
    _executor_args(rp)
    return p


def cmd_list(args: argparse.Namespace) -> int:
    from ganbench.registry import list_variants

    if args.datasets:
        from ganbench.data.listing import format_dataset_table

        print(format_dataset_table(args.pattern))
        return 0
    infos = list_variants(args.pattern)
    w = max([len(i.name) for i in infos] + [7])
    f = max([len(i.family) for i in infos] + [6])
    print(f"{'variant':<{w}}  {'family':<{f}}  {'cond.':<5} {'data':<22} paper")
    for i in infos:
        data = ",".join(sorted(i.supports))
        origin = "  [plug-in]" if i.external else ""
        print(
            f"{i.name:<{w}}  {i.family:<{f}}  {'yes' if i.conditional else 'no':<5} {data:<22} "
            f"{i.paper}{origin}"
        )
    return 0


def _data_source_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--resolution",
        type=_positive_int,
        metavar="R",
        help="your own data (folder:, npz:, torchvision:, --samples): resize the shorter side to "
        "R (bicubic) and crop the centre R x R (default: the images' own size)",
    )
    parser.add_argument(
        "--download",
        action="store_true",
        help="torchvision:NAME:ROOT may download the files into ROOT (never without this flag)",
    )


FEATURES_HELP = (
    "feature space for image metrics: auto (the project network of a bundled dataset, else "
    "Inception when its weights are here) | mnist-cnn | fashion-mnist-cnn | inception | "
    "MODULE:ATTR or file.py:ATTR (your nn.Module declaring input_size, input_range, feature_dim)"
)


def _resolve_data_args(args: argparse.Namespace) -> None:
    """folder: / npz: / torchvision: datasets resolved (and read once) and a feature module's file
    made absolute, before anything runs or is written."""
    from ganbench.data.registry import resolve_dataset_name
    from ganbench.data.sources import is_source_text
    from ganbench.metrics.user_features import canonical_text

    names = args.dataset if isinstance(args.dataset, list) else [args.dataset]
    names = [n for n in names if n is not None]

    if args.resolution is not None and not any(is_source_text(n) for n in names) and not getattr(
        args, "samples", None
    ):
        raise GanbenchError(
            "--resolution applies to your own data (--dataset folder:PATH, npz:PATH, "
            "torchvision:NAME:ROOT, or --samples); leave it out for bundled datasets"
        )
    resolved = [
        resolve_dataset_name(n, args.resolution if is_source_text(n) else None, args.download)
        for n in names
    ]
    if isinstance(args.dataset, list):
        args.dataset = resolved
    elif args.dataset is not None:
        args.dataset = resolved[0]
    args.features = canonical_text(args.features)


def cmd_run(args: argparse.Namespace) -> int:
    from ganbench.core.io import check_output_folder
    from ganbench.core.log import set_quiet
    from ganbench.harness.suite import check_max_minutes

    set_quiet(args.quiet)
    check_output_folder(args.out)
    check_max_minutes(args.max_minutes)  # before planning loads any data
    if args.inception_weights is not None:
        import os

        os.environ["GANBENCH_INCEPTION_WEIGHTS"] = str(args.inception_weights)
    _resolve_data_args(args)
    executor = _open_executor(args)
    try:
        return _run_on(args, executor)
    finally:
        if executor is not None:
            executor.close()


def _run_on(args: argparse.Namespace, executor: object | None) -> int:
    from ganbench.core.hparams import parse_hp
    from ganbench.core.log import info, notice
    from ganbench.harness.plan import plan_runs, resolve_jobs
    from ganbench.harness.suite import run_suite

    where = {} if executor is None else {"resolve": executor.resolve_device}
    specs = plan_runs(
        None if args.all else args.variant,
        args.dataset,
        args.seeds,
        args.preset,
        args.device,
        args.steps,
        args.batch_size,
        args.max_seconds,
        args.features,
        parse_hp(args.hp),
        args.precision,
        **where,
    )
    if not specs:
        raise GanbenchError("nothing to run: no variant supports the datasets asked for")
    jobs = resolve_jobs(args.jobs, specs[0].device)
    outcome = run_suite(specs, args.out, jobs, args.max_minutes, args.batch_seeds, executor)
    others = f"{outcome.by_others} done by another process, " if outcome.by_others else ""
    left = f"{outcome.deferred} left for the next command, " if outcome.deferred else ""
    # the summary prints under --quiet too when something failed: quiet never hides a failure
    (notice if outcome.failed else info)(
        f"{outcome.ran} run(s) done, {outcome.skipped} skipped (done earlier), {others}{left}"
        f"{outcome.failed} failed; leaderboard: {args.out / 'leaderboard.csv'}"
    )
    if not args.no_report:
        _report_after(args.out)
    return 1 if outcome.failed else 0


def _report_after(out: Path) -> None:
    """The report at the end of run/eval; a problem writing it never loses the results."""
    from ganbench.core.log import info, warn
    from ganbench.results.report import write_report

    try:
        html_path, _ = write_report(out)
        info(f"report: {html_path}")
    except Exception as exc:  # noqa: BLE001  the runs are safe on disk either way
        warn(
            f"could not write the report ({type(exc).__name__}: {exc}); try `ganbench report {out}`"
        )


def cmd_report(args: argparse.Namespace) -> int:
    from ganbench.results.report import write_report

    html_path, md_path = write_report(args.dir)
    print(f"wrote {html_path} and {md_path}")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from ganbench.results.compare import compare, format_comparison

    a, b = args.variants
    print(format_comparison(compare(args.dir, a, b, args.dataset), a, b), end="")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from ganbench.core.io import check_output_folder
    from ganbench.core.log import set_quiet
    from ganbench.plugins import evaluate_generator, evaluate_translator

    set_quiet(args.quiet)
    check_output_folder(args.out)
    if args.reference is not None and args.samples is None:
        raise GanbenchError("--reference goes with --samples PATH (saved samples to score)")
    if args.samples is not None:
        from ganbench.metrics.user_features import canonical_text
        from ganbench.plugins.samples import evaluate_samples

        if args.latent_dim is not None:
            raise GanbenchError("--latent-dim is for --generator; saved samples take no noise")
        outcome = evaluate_samples(
            args.samples, args.out, args.dataset, args.reference, args.name, args.seeds,
            args.preset, args.device, canonical_text(args.features), args.resolution,
        )  # fmt: skip
        return _after_eval(args, outcome)
    if args.dataset is None:
        raise GanbenchError("eval needs --dataset NAME (the dataset to score against)")
    _resolve_data_args(args)
    if args.translator is not None:
        if args.latent_dim is not None:
            raise GanbenchError("--latent-dim is for --generator; a translator takes no noise")
        outcome = evaluate_translator(
            args.translator,
            args.dataset,
            args.out,
            args.name,
            args.seeds,
            args.preset,
            args.device,
            args.timeout,
            args.features,
        )
    else:
        outcome = evaluate_generator(
            args.generator,
            args.dataset,
            args.out,
            args.name,
            args.seeds,
            args.preset,
            args.device,
            args.timeout,
            args.latent_dim,
            args.features,
        )
    return _after_eval(args, outcome)


def _after_eval(args: argparse.Namespace, outcome) -> int:
    from ganbench.core.log import info, notice
    from ganbench.results.leaderboard import write_leaderboards

    write_leaderboards(args.out)
    (notice if outcome.failed else info)(
        f"{len(outcome.rows) - outcome.failed} seed(s) scored, {outcome.failed} failed; "
        f"leaderboard: {args.out / 'leaderboard.csv'}"
    )
    if not args.no_report:
        _report_after(args.out)
    return 1 if outcome.failed else 0


def cmd_reproduce(args: argparse.Namespace) -> int:
    from ganbench.core.log import info, set_quiet
    from ganbench.reproduce import format_protocol_list, reproduce

    if args.list:
        print(format_protocol_list(), end="")
        return 0
    if not args.name:
        raise GanbenchError("give a protocol NAME, or --list to see them")
    set_quiet(args.quiet)
    executor = _open_executor(args)
    try:
        outcome = reproduce(
            args.name,
            args.out,
            args.trials,
            args.scale,
            args.device,
            args.max_minutes,
            args.jobs,
            args.dataset,
            args.batch_trials,
            args.precision,
            executor=executor,
            train=not args.tables_only,
        )
    finally:
        if executor is not None:
            executor.close()
    state = "complete" if outcome.complete else f"{outcome.runs_left} trial(s) left, re-run to resume"
    info(
        f"{outcome.ran} trial(s) run, {outcome.failed} failed; {state}; "
        f"{outcome.out / 'reproduction.csv'}"
    )
    _report_after(outcome.out)  # the report opens with the published table beside ours
    return 1 if outcome.failed else 0


def cmd_gpu_job(args: argparse.Namespace) -> int:
    from ganbench.core.log import info
    from ganbench.jobs.gpu import STEPS, run_gpu_job

    steps = tuple(args.steps or STEPS)
    unknown = sorted(set(steps) - set(STEPS))
    if unknown:
        raise GanbenchError(f"gpu-job: unknown step(s) {unknown}; the steps: {', '.join(STEPS)}")
    if args.max_minutes is not None and not args.max_minutes > 0:
        raise GanbenchError("--max-minutes must be a positive number of minutes")
    steps = tuple(s for s in STEPS if s in steps)
    state = run_gpu_job(args.out, args.device, args.max_minutes, args.dry_run, steps)
    done = [s for s in steps if state["steps"].get(s, {}).get("status") == "done"]
    info(f"gpu-job: {len(done)} of {len(steps)} steps done; {args.out / 'job.json'}")
    return 0


COMMANDS = {
    "list": cmd_list,
    "run": cmd_run,
    "report": cmd_report,
    "compare": cmd_compare,
    "eval": cmd_eval,
    "reproduce": cmd_reproduce,
    "gpu-job": cmd_gpu_job,
}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except GanbenchError as exc:
        print(f"ganbench: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("ganbench: interrupted; re-run the same command to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
