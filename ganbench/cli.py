"""Command line: argument parsing only; every command is one call into the library."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ganbench.errors import GanbenchError


def _positive_int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ganbench", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    ls = sub.add_parser("list", help="list the registered variants")
    ls.add_argument("pattern", nargs="?", default="*", help="glob over names, e.g. 'wgan*'")

    run = sub.add_parser("run", help="train and score variants; write leaderboards")
    which = run.add_mutually_exclusive_group(required=True)
    which.add_argument("--all", action="store_true", help="every registered variant")
    which.add_argument("--variant", nargs="+", metavar="NAME", help="these variants")
    run.add_argument("--dataset", nargs="+", metavar="NAME",
                     help="datasets (default: every default dataset each variant supports)")
    run.add_argument("--seeds", nargs="+", type=_positive_int, default=[0], metavar="K")
    run.add_argument("--preset", default="quick", help="smoke | quick | standard (default quick)")
    run.add_argument("--device", default="auto", help="auto | cpu | cuda (default auto)")
    run.add_argument("--out", type=Path, default=Path("runs/ganbench"), help="output folder")
    run.add_argument("--steps", type=_positive_int, help="override the preset's generator steps")
    run.add_argument("--batch-size", type=_positive_int, help="override the preset's batch size")
    run.add_argument("--max-seconds", type=float, help="wall-clock cap per run's training")
    run.add_argument("--features", default="auto",
                     help="feature space for image metrics: auto (project network) | inception")
    run.add_argument("--inception-weights", type=Path,
                     help="path to weights-inception-2015-12-05-6726825d.pth (for --features inception)")
    run.add_argument("--quiet", action="store_true", help="no progress lines")
    return p


def cmd_list(args: argparse.Namespace) -> int:
    from ganbench.registry import list_variants

    infos = list_variants(args.pattern)
    w = max([len(i.name) for i in infos] + [7])
    print(f"{'variant':<{w}}  {'family':<12} {'cond.':<5} {'data':<22} paper")
    for i in infos:
        data = ",".join(sorted(i.supports))
        origin = "  [plug-in]" if i.external else ""
        print(f"{i.name:<{w}}  {i.family:<12} {'yes' if i.conditional else 'no':<5} {data:<22} "
              f"{i.paper}{origin}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from ganbench.io import check_output_folder
    from ganbench.log import info, set_quiet
    from ganbench.suite import plan_runs, run_suite

    set_quiet(args.quiet)
    check_output_folder(args.out)
    if args.inception_weights is not None:
        import os

        os.environ["GANBENCH_INCEPTION_WEIGHTS"] = str(args.inception_weights)
    specs = plan_runs(None if args.all else args.variant, args.dataset, args.seeds, args.preset,
                      args.device, args.steps, args.batch_size, args.max_seconds, args.features)
    if not specs:
        raise GanbenchError("nothing to run: no variant supports the datasets asked for")
    outcome = run_suite(specs, args.out)
    info(f"{outcome.ran} run(s) done, {outcome.skipped} skipped (done earlier), "
         f"{outcome.failed} failed; leaderboard: {args.out / 'leaderboard.csv'}")
    return 1 if outcome.failed else 0


COMMANDS = {"list": cmd_list, "run": cmd_run}


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
