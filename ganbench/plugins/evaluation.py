"""`ganbench eval`: score a plug-in generator or translator per seed with the evaluator trained
variants get, one result.json per seed (status ok, or failed with the reason), then the reference
rows beside them. Usage errors (a malformed target, an unknown dataset or the wrong task, a taken
--name, an unimportable plug-in) raise before anything is written."""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ganbench.core.config import get_preset
from ganbench.core.errors import GanbenchError
from ganbench.core.heads import Heads
from ganbench.core.io import write_json_atomic, write_text_atomic
from ganbench.core.log import info, stage, warn
from ganbench.core.runrecord import FINAL_EVAL_SEED_OFFSET, base_row, run_folder
from ganbench.core.seeding import make_generator, resolve_device, seed_everything
from ganbench.data import get_dataset
from ganbench.data.registry import check_dataset_name
from ganbench.plugins.loading import (
    DEFAULT_TIMEOUT,
    PluginError,
    PluginImportError,
    PluginTimeout,
    check_name,
    load_object,
    parse_target,
)


@dataclass
class EvalOutcome:
    rows: list[dict[str, Any]]
    failed: int


def _row(name: str, dataset: str, seed: int, preset: str, device: str) -> dict[str, Any]:
    return base_row(name, dataset, seed, preset, device, family="external", origin="external")


def _check_task(dataset: str, role: str) -> Any:
    """The dataset, when its task is the plug-in's (generators: generation, translators:
    translation); a usage error naming the fix otherwise."""
    check_dataset_name(dataset)
    data = get_dataset(dataset)
    if role == "translator" and data.spec.task != "translation":
        raise GanbenchError(
            f"--translator needs a translation dataset, and {dataset!r} is a generation dataset; "
            "pick one whose task is translation (`ganbench list --datasets`), or pass the model "
            "as --generator"
        )
    if role == "generator" and data.spec.task == "translation":
        raise GanbenchError(
            f"{dataset!r} is a translation dataset (source -> target); score a translator on it "
            "with --translator MODULE:ATTR, or pick a generation dataset for --generator"
        )
    return data


def _check_common(timeout: float | None, seeds: list[int]) -> None:
    if timeout is not None and not timeout > 0:
        raise GanbenchError(f"--timeout {timeout}: give a positive number of seconds")
    if not seeds:
        raise GanbenchError("no seeds given; pass --seeds with at least one integer")


def _load(target: Any, timeout: float | None, role: str, name: str, text: str) -> tuple[Any, str]:
    """(the plug-in object, "") or (None, why) when its import raised or hung (a failed row);
    PluginImportError (a usage error) passes through."""
    try:
        stage(f"{name}: loading {text}")
        return load_object(target, timeout, role), ""
    except PluginImportError:
        raise  # a usage error: exit 2, before anything is written
    except PluginError as exc:  # it imports, but its import raised or hung: a failed row
        return None, str(exc)


ScoreSeed = Callable[[int, Path, dict[str, Any]], None]


def _run_seeds(
    name: str,
    dataset: str,
    out: Path,
    seeds: list[int],
    preset: str,
    dev: Any,
    features: str,
    role: str,
    load_error: str,
    spec: dict[str, Any],
    score_seed: ScoreSeed,
    references: bool = True,
) -> EvalOutcome:
    """score_seed(seed, folder, row) per seed (it fills row and writes the pictures); every seed
    leaves a result.json. A plug-in that hung is not called again for the remaining seeds.
    references: score the dataset's reference rows beside them (not for `--reference` sets)."""
    rows: list[dict[str, Any]] = []
    hung: str | None = None
    for seed in seeds:
        folder = run_folder(out, name, dataset, seed)
        row = _row(name, dataset, int(seed), preset, str(dev))
        start = time.perf_counter()
        tb = ""
        try:
            if load_error:
                raise PluginError(load_error)
            if hung:
                raise PluginError(f"not run: {hung}")
            seed_everything(int(seed))
            score_seed(int(seed), folder, row)
            row["status"] = "ok"
            (folder / "traceback.txt").unlink(missing_ok=True)  # from an earlier failed attempt
        except PluginTimeout as exc:
            hung = f"the {role} hung on seed {seed} ({exc})"
            row["error"] = str(exc)
        except GanbenchError as exc:
            row["error"] = str(exc)
            tb = getattr(exc, "plugin_traceback", "")
        except Exception as exc:  # the evaluation itself choked on the plug-in's output
            row["error"] = f"{type(exc).__name__}: {exc}"
            tb = traceback.format_exc()
        row["wall_seconds"] = round(time.perf_counter() - start, 3)
        if tb:
            write_text_atomic(folder / "traceback.txt", tb)
        write_json_atomic(folder / "result.json", {**row, "spec": spec})
        rows.append(row)
        if row["status"] == "failed":
            warn(f"{name} {dataset} seed{seed}: failed - {row['error']}")
        else:
            info(f"{name} {dataset} seed{seed}: ok in {row['wall_seconds']:.1f}s")
    if references:
        from ganbench.harness.reference import ensure_reference_rows  # real data beside it

        ensure_reference_rows(out, [(dataset, int(s)) for s in seeds], preset, features, str(dev))
    return EvalOutcome(rows, sum(r["status"] == "failed" for r in rows))


def evaluate_generator(
    generator: str,
    dataset: str,
    out: Path,
    name: str | None = None,
    seeds: list[int] = (0,),
    preset: str = "quick",
    device: str = "auto",
    timeout: float | None = DEFAULT_TIMEOUT,
    latent_dim: int | None = None,
    features: str = "auto",
) -> EvalOutcome:
    """Score a plug-in generator on `dataset` per seed; every seed leaves a result.json under
    out/runs/<name>/<dataset>/seed<k>/ (status ok, or failed with the reason)."""
    from ganbench.metrics.score import score
    from ganbench.plugins.generators import adapt, make_checked_sampler
    from ganbench.results.pictures import save_samples_picture

    target = parse_target(generator)  # usage errors first, before anything is written
    check_dataset_name(dataset)
    name = check_name(name or target.default_name)
    sizes = get_preset(preset).eval
    dev = resolve_device(device)
    _check_common(timeout, seeds)
    data = _check_task(dataset, "generator")
    obj, load_error = _load(target, timeout, "generator", name, generator)

    def score_seed(seed: int, folder: Path, row: dict[str, Any]) -> None:
        gen = make_generator(seed + FINAL_EVAL_SEED_OFFSET, dev)  # the same noise as run
        adapted = adapt(obj, data.spec, dev, gen, latent_dim, timeout)
        stage(f"{name} {dataset} seed{seed}: evaluating ({adapted.notes[0]})")
        sampler = make_checked_sampler(adapted, data.spec, timeout, name)
        t = time.perf_counter()
        ev = score(Heads(generate=sampler), data, sizes, seed, features, dev)
        row.update(ev.columns(), eval_seconds=round(time.perf_counter() - t, 3))
        save_samples_picture(
            ev.artifacts["samples"][:2500],
            data,
            folder / "samples.png",
            f"{name} · {dataset} · seed {seed} (external)",
        )
        _save_extra_artifacts(ev, name, dataset, seed, folder)

    spec = {
        "generator": generator,
        "timeout": timeout,
        "latent_dim": latent_dim,
        "features": features,
        "preset": preset,
    }
    return _run_seeds(
        name, dataset, Path(out), seeds, preset, dev, features, "generator", load_error, spec,
        score_seed,
    )  # fmt: skip


def evaluate_translator(
    translator: str,
    dataset: str,
    out: Path,
    name: str | None = None,
    seeds: list[int] = (0,),
    preset: str = "quick",
    device: str = "auto",
    timeout: float | None = DEFAULT_TIMEOUT,
    features: str = "auto",
) -> EvalOutcome:
    """Score a plug-in translator on translation `dataset` per seed with evaluate_translation (the
    evaluator of trained translators); every seed leaves a result.json and the input / output /
    truth picture under out/runs/<name>/<dataset>/seed<k>/."""
    from ganbench.metrics.score import score
    from ganbench.plugins.translators import adapt_translator, make_checked_translator
    from ganbench.results.pictures import save_samples_picture, translation_strip

    target = parse_target(translator, "--translator")  # usage errors first, nothing written
    check_dataset_name(dataset)
    name = check_name(name or target.default_name)
    sizes = get_preset(preset).eval
    dev = resolve_device(device)
    _check_common(timeout, seeds)
    data = _check_task(dataset, "translator")
    obj, load_error = _load(target, timeout, "translator", name, translator)

    def score_seed(seed: int, folder: Path, row: dict[str, Any]) -> None:
        adapted = adapt_translator(obj, data.spec, dev, timeout)
        stage(f"{name} {dataset} seed{seed}: evaluating ({'; '.join(adapted.notes)})")
        translate, back = make_checked_translator(adapted, data.spec, timeout, name)
        t = time.perf_counter()
        heads = Heads(translate=translate, translate_back=back)
        ev = score(heads, data, sizes, seed, features, dev)
        row.update(ev.columns(), eval_seconds=round(time.perf_counter() - t, 3))
        save_samples_picture(
            translation_strip(*ev.artifacts["triplets"]),
            data,
            folder / "samples.png",
            f"{name} · {dataset} · seed {seed} (external) · input / output / truth",
        )

    spec = {"translator": translator, "timeout": timeout, "features": features, "preset": preset}
    return _run_seeds(
        name, dataset, Path(out), seeds, preset, dev, features, "translator", load_error, spec,
        score_seed,
    )  # fmt: skip


def _save_extra_artifacts(ev: Any, name: str, dataset: str, seed: int, folder: Path) -> None:
    """The memorization picture (closest generated/train pairs), as for trained variants."""
    pairs = ev.artifacts.get("closest_pairs")
    if pairs is None:
        return
    from ganbench.metrics import image_suite

    writer = getattr(image_suite, "save_closest_pairs", None)
    if callable(writer):
        writer(pairs, folder, f"{name} · {dataset} · seed {seed}: closest generated / train pairs")
