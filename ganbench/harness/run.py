"""One run, from its spec to its folder: build the variant, train it (evaluating its convergence
curve on the way), score it through its typed heads, and leave losses.csv, curve.csv, samples.png
and checkpoint.pt beside result.json, which is written last, atomically, and never over a
finished result. A run that raises is a `failed` row with the reason, never a crashed suite.
"""

from __future__ import annotations

import csv
import io
import time
import traceback
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch

from ganbench.core.config import get_preset
from ganbench.core.errors import GanbenchError
from ganbench.core.hparams import hp_text
from ganbench.core.io import read_result, save_torch_atomic, write_json_atomic, write_text_atomic
from ganbench.core.log import progress, stage, warn
from ganbench.core.platform_info import device_info
from ganbench.core.runrecord import (
    CURVE_SEED_OFFSET,
    FINAL_EVAL_SEED_OFFSET,
    RunSpec,
    spec_row,
)
from ganbench.core.seeding import make_generator, rng_untouched, seed_everything
from ganbench.data import get_dataset
from ganbench.harness.ema import describe as describe_ema
from ganbench.harness.partial import (
    PARTIAL,
    SAVE_EVERY_SECONDS,
    drop_partial,
    load_partial,
    save_partial,
)
from ganbench.harness.train import train
from ganbench.metrics.oracle import project_oracle
from ganbench.metrics.score import score
from ganbench.registry import VariantInfo, get_variant
from ganbench.results.pictures import save_samples_picture, translation_strip

DONE = ("ok", "diverged")


def load_done(folder: Path) -> dict[str, Any] | None:
    """The finished result in `folder`, or None when the run must (re)run. A corrupt result is
    moved aside (kept, never deleted) with a warning, and the run is redone."""
    row = read_result(folder, "re-running this run")
    return row if row is not None and row.get("status") in DONE else None


def kept_result(folder: Path, row: dict[str, Any]) -> dict[str, Any] | None:
    """The finished (ok / diverged) row already in `folder`, which stands over `row` (said in a
    warning); None when there is none and `row` may be written."""
    kept = load_done(folder)
    if kept is None:
        return None
    warn(
        f"{folder}: a finished result ({kept['status']}) is already there and is kept; this "
        f"attempt's {row['status']} row is not written"
    )
    return {k: v for k, v in kept.items() if k != "spec"}


def store_result(folder: Path, row: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    """Write `row` (+ its spec) as folder/result.json, unless a finished (ok / diverged) result is
    already there: that one is never overwritten. Checked just before writing, under the run's
    claim (run_suite), so no other process can write in between. Returns the row that stands."""
    kept = kept_result(folder, row)
    if kept is not None:
        return kept
    platform = device_info(torch.device(spec.get("device", "cpu")).type)
    write_json_atomic(folder / "result.json", {**row, "spec": spec, "platform": platform})
    return row


def start_row(spec: RunSpec, info: VariantInfo | None = None) -> dict[str, Any]:
    return spec_row(spec, info.family if info else "", bool(info and info.external))


def history_csv(history: dict[str, list[float]]) -> str:
    buf = io.StringIO()
    keys = list(history)
    w = csv.writer(buf)
    w.writerow(keys)
    for i in range(len(history["step"])):
        w.writerow([history[k][i] if i < len(history[k]) else "" for k in keys])
    return buf.getvalue()


def tag(spec: RunSpec) -> str:
    return f"{spec.variant} {spec.dataset} seed{spec.seed}"


def run_device(spec: RunSpec, *rows: dict[str, Any]) -> torch.device:
    """The run's device, chosen where the run executes; the rows record what it is."""
    device = torch.device(spec.device)
    if device.type == "cpu":
        torch.set_num_threads(1)  # results must not depend on --jobs; see run_suite
    for row in rows:
        row["device_name"] = device_info(device.type)["device_name"]
    return device


def build_variant(preset: str, info: VariantInfo, data: Any, hp: dict[str, Any]) -> Any:
    """The variant a run of `preset` builds on `data` with the --hp overrides `hp`: below them,
    the preset's shared-conv-pair width on images (Preset.image_width) for variants built on that
    pair (their own `width` default is None)."""
    width = get_preset(preset).image_width
    own = info.cls.known_hparams("image").get("width", 0) is not None
    below = {"width": width} if width and data.spec.kind == "image" and not own else {}
    return info.cls(data.spec, **{**below, **hp})


def trained_variant(folder: Path | str) -> Any:
    """The trained variant of a finished run folder, built as its run built it (the dataset, the
    preset's and --hp's hyper-parameters of its result.json) with checkpoint.pt loaded: the
    networks a user samples from after a run (`variant.sample(n, device, generator, labels)`)."""
    folder = Path(folder)
    done = load_done(folder)
    if done is None or "spec" not in done or not (folder / "checkpoint.pt").is_file():
        raise GanbenchError(f"{folder} holds no finished run with a checkpoint (result.json, "
                            "checkpoint.pt); run it first")  # fmt: skip
    spec = done["spec"]
    info, data = get_variant(spec["variant"]), get_dataset(spec["dataset"])
    hp = {k: tuple(v) if isinstance(v, list) else v for k, v in spec.get("hp") or ()}
    variant = build_variant(spec["preset"], info, data, hp)
    state = torch.load(folder / "checkpoint.pt", map_location="cpu")
    for name, module in variant.modules().items():
        module.load_state_dict(state[name])
    return variant


def build(spec: RunSpec, info: VariantInfo, data: Any, row: dict[str, Any]) -> Any:
    """The run's variant (after seed_everything(spec.seed)); its settings go into the row."""
    variant = build_variant(spec.preset, info, data, dict(spec.hp))
    row["hp_effective"] = hp_text(variant.hp)
    row["generator_conditioned"] = variant.generator_conditioned()
    ema = describe_ema(variant.hp.get("ema_half_life") or 0, variant.hp.get("ema_rampup"),
                       variant.ema_nets)  # fmt: skip
    if ema:
        row["ema"] = ema
    return variant


def curve_recorder(spec: RunSpec, variant: Any, data: Any, device: torch.device) -> Any:
    """The convergence curve's on_checkpoint callback for one run (ganbench/harness/curves.py):
    its own evaluation noise, re-seeded identically at every checkpoint so the curve sees the
    same z; it scores the head the final evaluation scores (generate, or translate)."""
    from ganbench.harness.curves import CurveEvaluator, CurveRecorder

    t = time.perf_counter()
    evaluator = CurveEvaluator(data, spec.features, device)  # real features: once per run
    eval_gen = make_generator(spec.seed + CURVE_SEED_OFFSET, device)
    translation = data.spec.task == "translation"

    def fresh_head():
        eval_gen.manual_seed(spec.seed + CURVE_SEED_OFFSET)
        heads = variant.typed_heads(device, eval_gen)
        return heads.translate if translation else heads.generate

    recorder = CurveRecorder(evaluator, fresh_head)
    recorder.eval_seconds = time.perf_counter() - t  # the set-up is part of the curve's cost
    return recorder


def run_one(
    spec: RunSpec,
    out: Path,
    log_every: int,
    curves: bool = True,
    save_every_seconds: float | None = SAVE_EVERY_SECONDS,
) -> dict[str, Any]:
    """Train and score one run; always returns a row (status ok / diverged / failed).

    curves: evaluate the generator on eval_schedule(budget steps) during training, write
    curve.csv and add converged / best_step / curve_eval_seconds to the row
    (ganbench/harness/curves.py); the final row's metrics are the same either way.
    save_every_seconds: keep the unfinished training in the run folder that often (partial.pt,
    ganbench/harness/partial.py; None: never), and resume from it when one is there: the row then
    says `resumed_at` (the steps), and its train_seconds are every attempt's together."""
    from ganbench.harness.curves import eval_schedule

    info = get_variant(spec.variant)
    row = start_row(spec, info)
    start = time.perf_counter()
    folder, spec_dict = spec.folder(out), spec.as_dict()
    try:
        device = run_device(spec, row)
        seed_everything(spec.seed)
        data = get_dataset(spec.dataset)
        variant = build(spec, info, data, row)
        gen = make_generator(spec.seed, device)
        with rng_untouched():  # a cold feature cache loads nets: training must not see it
            recorder = curve_recorder(spec, variant, data, device) if curves else None
        saved = load_partial(folder, spec_dict) if save_every_seconds is not None else None
        before, resumes = resumed(saved, recorder, row)
        budget = spec.budget
        if budget.max_seconds is not None and before:  # the cap is on all attempts together
            budget = replace(budget, max_seconds=max(budget.max_seconds - before, 0.0))

        def keep(state: dict[str, Any]) -> None:
            curve = None if recorder is None else recorder.state()
            save_partial(folder, spec_dict, {
                **state, "curve": curve, "resumed_at": resumes,
                "train_seconds": before + state["seconds"],
            })  # fmt: skip

        with progress(f"{tag(spec)} training", spec.budget.steps) as bar:
            res = train(
                variant,
                data,
                budget,
                device,
                gen,
                log_every,
                progress=bar,
                checkpoints=eval_schedule(spec.budget.steps) if recorder else (),
                on_checkpoint=recorder,
                precision=spec.precision,
                resume=saved,
                save_state=keep if save_every_seconds is not None else None,
                save_every_seconds=save_every_seconds,
            )
        res.wall_seconds += before
        finish(spec, out, variant, data, res, recorder, row, device)
    except Exception as exc:  # a broken run is a row, not a crashed suite
        failed(spec, out, row, exc)
    row["wall_seconds"] = round(time.perf_counter() - start, 3)
    stored = store_result(folder, row, spec_dict)
    drop_partial(folder)
    return stored


def resumed(
    saved: dict[str, Any] | None, recorder: Any, row: dict[str, Any]
) -> tuple[float, list[int]]:
    """Put the curve of a saved unfinished run back into `recorder` and note the resume in `row`
    (`resumed_at`: the steps every resume started after); returns the training seconds the
    earlier attempts spent and those steps (0 and none when nothing was saved)."""
    if saved is None:
        return 0.0, []
    resumes = [*saved["resumed_at"], int(saved["step"])]
    row["resumed_at"] = " ".join(str(s) for s in resumes)
    if recorder is not None and saved["curve"] is not None:
        recorder.load_state(saved["curve"])
    stage(f"resuming from step {saved['step']} ({PARTIAL})")
    return float(saved["train_seconds"]), resumes


def run_seed_group(specs: list[RunSpec], out: Path, log_every: int) -> list[dict[str, Any]]:
    """Train the seeds of one (variant, dataset, budget, hp) as one batched model
    (ganbench/harness/batched.py), then finish and store every member like a separate run; rows
    gain `batched` (the number of members). Every member is built, scored and written as run_one
    does it; a member that fails its evaluation is a failed row, the others stand."""
    from ganbench.harness.batched import train_members
    from ganbench.harness.curves import eval_schedule

    first = specs[0]
    info = get_variant(first.variant)
    rows = [{**start_row(s, info), "batched": len(specs)} for s in specs]
    start = time.perf_counter()
    try:
        device = run_device(first, *rows)
        data = get_dataset(first.dataset)
        members = []
        for s, row in zip(specs, rows, strict=True):
            seed_everything(s.seed)
            members.append(build(s, info, data, row))
        with rng_untouched():
            recorders = [
                curve_recorder(s, v, data, device) for s, v in zip(specs, members, strict=True)
            ]
        seeds = ", ".join(str(s.seed) for s in specs)
        with progress(f"{tag(first)} (seeds {seeds}) batched training", first.budget.steps) as bar:
            results = train_members(
                members,
                data,
                first.budget,
                device,
                [make_generator(s.seed, device) for s in specs],
                log_every,
                checkpoints=eval_schedule(first.budget.steps),
                on_checkpoint=lambda k, step: recorders[k](step),
                progress=bar,
                precision=first.precision,
            )
    except Exception as exc:  # the batched training broke: every member is a failed row
        for s, row in zip(specs, rows, strict=True):
            failed(s, out, row, exc)
        results = None
    trained = time.perf_counter() - start
    stored = []
    for k, (s, row) in enumerate(zip(specs, rows, strict=True)):
        t = time.perf_counter()
        if results is not None:
            try:
                finish(s, out, members[k], data, results[k], recorders[k], row, device)
            except Exception as exc:
                failed(s, out, row, exc)
        row["wall_seconds"] = round(trained / len(specs) + time.perf_counter() - t, 3)
        stored.append(store_result(s.folder(out), row, s.as_dict()))
    return stored


def failed(spec: RunSpec, out: Path, row: dict[str, Any], exc: Exception) -> None:
    """A run that raised: a failed row with the reason (and the traceback beside it when the error
    is not a user error)."""
    if isinstance(exc, GanbenchError):
        row.update(status="failed", error=str(exc))
        return
    row.update(status="failed", error=f"{type(exc).__name__}: {exc}")
    folder = spec.folder(out)
    folder.mkdir(parents=True, exist_ok=True)
    write_text_atomic(folder / "traceback.txt", traceback.format_exc())


def worker_died(spec: RunSpec, out: Path, why: str) -> dict[str, Any]:
    """The failed row for a run whose worker process died (unless it finished before dying)."""
    row = start_row(spec, get_variant(spec.variant))
    row["error"] = f"its worker process died ({why}); re-run the same command to retry it"
    return store_result(spec.folder(out), row, spec.as_dict())


def job_failed(spec: RunSpec, out: Path, why: str) -> dict[str, Any]:
    """The failed row for a run whose job raised where it ran, outside run_one's own handling
    (e.g. its variant could not be imported on that machine); never retried."""
    row = start_row(spec)
    row["error"] = why
    return store_result(spec.folder(out), row, spec.as_dict())


def finish(
    spec: RunSpec,
    out: Path,
    variant: Any,
    data: Any,
    res: Any,
    recorder: Any,
    row: dict[str, Any],
    device: torch.device,
) -> None:
    """After training: losses.csv, the curve and its convergence verdict, the final evaluation
    (unless the run diverged), the pictures and the checkpoint."""
    folder = spec.folder(out)
    row.update(
        steps=res.steps_done,
        train_seconds=round(res.wall_seconds, 3),
        stopped_by_time=res.stopped_by_time,
    )
    folder.mkdir(parents=True, exist_ok=True)
    write_text_atomic(folder / "losses.csv", history_csv(res.history))
    if recorder is not None:
        write_curve(folder, data, res, recorder, row)
    if res.diverged_step is not None:
        row.update(status="diverged", diverged_step=res.diverged_step)
        return
    eval_gen = make_generator(spec.seed + FINAL_EVAL_SEED_OFFSET, device)  # fixed noise
    t = time.perf_counter()
    stage(f"{tag(spec)}: evaluating ({data.spec.kind} metrics)")
    heads = variant.typed_heads(device, eval_gen)
    ev = score(heads, data, get_preset(spec.preset).eval, spec.seed, spec.features, device)
    row.update(ev.columns())
    variant.oracle = project_oracle  # injected: variants never import metrics
    row.update(variant.extra_metrics(data, device, eval_gen))
    from ganbench.metrics.heads import score_heads  # classify / encode heads

    row.update(score_heads(heads.typed(), data, device))
    row.update(eval_seconds=round(time.perf_counter() - t, 3), status="ok")
    save_pictures(spec, data, ev, folder)
    nets = {k: m.state_dict() for k, m in variant.modules().items()}
    nets.update({f"{k}_ema": m.state_dict() for k, m in variant.averaged.items()})
    save_torch_atomic(folder / "checkpoint.pt", nets)


def write_curve(folder: Path, data: Any, res: Any, recorder: Any, row: dict[str, Any]) -> None:
    from ganbench.harness.curves import best_step, convergence, curve_csv, kind_of

    kind = kind_of(data)
    write_text_atomic(folder / "curve.csv", curve_csv(recorder.rows, recorder.columns))
    verdict = "diverged" if res.diverged_step is not None else None
    verdict = verdict or convergence(recorder.rows, kind)
    row.update(
        converged=verdict == "converged",
        convergence=verdict,
        best_step=best_step(recorder.rows, kind),
        curve_eval_seconds=round(recorder.eval_seconds, 3),
    )


def save_pictures(spec: RunSpec, data: Any, ev: Any, folder: Path) -> None:
    """samples.png (a grid, a scatter over the mixture, or input / output / truth rows) and, for
    images, the closest generated/train pairs for the report."""
    title = f"{spec.variant} · {spec.dataset} · seed {spec.seed}"
    if "triplets" in ev.artifacts:
        picture = translation_strip(*ev.artifacts["triplets"])
        title += " · input / output / truth"
    else:
        picture = ev.artifacts["samples"][:2500]
    save_samples_picture(picture, data, folder / "samples.png", title)
    if "closest_pairs" in ev.artifacts:
        from ganbench.metrics.image_suite import save_closest_pairs

        save_closest_pairs(ev.artifacts["closest_pairs"], folder)
