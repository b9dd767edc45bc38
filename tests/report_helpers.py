"""Synthetic output folders for report / compare / bad-input tests: result.json rows, samples
pictures, losses and closest pairs, written without training anything (fast, deterministic)."""

from __future__ import annotations

import math
import random
from pathlib import Path

import torch

from ganbench.core.hparams import run_leaf
from ganbench.core.io import write_json_atomic, write_text_atomic
from ganbench.data import get_dataset
from ganbench.results.pictures import save_samples_picture


def write_run(
    out: Path,
    variant: str,
    dataset: str,
    seed: int,
    metrics: dict,
    status: str = "ok",
    origin: str = "builtin",
    pictures: bool = True,
    error: str | None = None,
    wall: float = 1.0,
    hp: str = "",
) -> Path:
    folder = Path(out) / "runs" / variant / dataset / run_leaf(seed, hp)
    row = {
        "variant": variant,
        "dataset": dataset,
        "seed": seed,
        "preset": "smoke",
        "steps": 40,
        "batch_size": 64,
        "wall_seconds": wall,
        "device": "cpu",
        "status": status,
        "features": "mnist-cnn@0123456789ab" if dataset == "mnist" else "",
        "ganbench_version": "0.1.0",
        "budget_steps": 40,
        "family": "loss",
        "origin": origin,
    }
    if hp:
        row["hp"] = hp
    if status == "ok":
        row.update(metrics)
    if error:
        row["error"] = error
    write_json_atomic(folder / "result.json", {**row, "spec": {}})
    if pictures and status == "ok":
        data = get_dataset(dataset)
        g = torch.Generator().manual_seed(seed)
        if data.spec.kind == "points":
            x = data.test[:500] + 0.05 * torch.randn(500, 2, generator=g)
        else:
            x = data.test[:64]
        save_samples_picture(
            x, data, folder / "samples.png", f"{variant} · {dataset} · seed {seed}"
        )
        lines = ["step,d_loss,g_loss"] + [
            f"{s},{1 + math.sin(s / 7):.4f},{1 + math.cos(s / 5):.4f}" for s in range(10, 101, 10)
        ]
        write_text_atomic(folder / "losses.csv", "\n".join(lines) + "\n")
        if data.spec.kind == "image":
            from ganbench.metrics.image_suite import save_closest_pairs

            pairs = {
                "gen_index": list(range(4)),
                "train_index": list(range(4)),
                "distance": [0.1, 0.2, 0.3, 0.4],
                "features": "test",
                "gen_images": data.test[:4],
                "train_images": data.train[:4],
            }
            save_closest_pairs(pairs, folder, f"{variant} seed {seed}")
    return folder


def fake_out(out: Path, seeds=(0, 1, 2), extra_metric: bool = True, pictures: bool = True) -> Path:
    """Three variants on ring8 and mnist with known orderings: 'good' beats 'bad' everywhere;
    'mid' is in between; one failed run; an unknown metric column on mnist."""
    rng = random.Random(0)
    quality = {"good": 0.0, "mid": 0.5, "bad": 1.0}
    for v, q in quality.items():
        for s in seeds:
            j = rng.uniform(-0.02, 0.02)
            write_run(
                out,
                v,
                "ring8",
                s,
                {
                    "modes_covered": round(8 - 6 * q) - (s % 2 and q > 0),
                    "modes_total": 8,
                    "hq_fraction": 0.9 - 0.5 * q + j,
                    "reverse_kl": 0.01 + q + j,
                },
                wall=1 + 3 * q + j,
                pictures=pictures,
            )
            m = {
                "fid": 20 + 100 * q + 10 * j,
                "kid_mean": 0.01 + q / 10 + j / 100,
                "precision": 0.8 - 0.3 * q + j,
                "recall": 0.7 - 0.3 * q + j,
                "nn_ratio": 1.2 - 0.5 * q + j,
                "ct_z": -3 * q + j,
                "msssim_real": 0.2,
                "modes_covered": 10 - 3 * q,
                "modes_total": 10,
            }
            if extra_metric:
                m["sharpness_score"] = 3.0 + q + j
            write_run(out, v, "mnist", s, m, wall=5 + 20 * q + j, pictures=pictures)
    write_run(
        out, "bad", "mnist", 9, {}, status="failed", error="sampler returned NaN or inf values"
    )
    return Path(out)
