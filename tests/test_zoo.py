"""The whole registry, enumerated so that no variant escapes: each trains a few steps on every
default dataset it supports (translation variants: on the datasets they name) and yields a
complete row and sane samples."""

import pytest
import torch

from ganbench.data import DEFAULT_DATASETS, get_dataset
from ganbench.harness.suite import plan_runs, run_one
from ganbench.registry import get_variant, list_variants
from ganbench.results.leaderboard import BASE_COLUMNS

PAIRS = [
    (info.name, d)
    for info in list_variants()
    if not info.external
    for d in (info.datasets or DEFAULT_DATASETS)
    if info.supports_data(
        get_dataset(d).spec.kind, get_dataset(d).spec.num_classes, get_dataset(d).spec.relation
    )
]
TRANSLATION_METRICS = ["l1", "psnr", "ssim", "label_preservation", "fid", "kid_mean"]


def test_every_default_dataset_is_used_and_every_variant_trains_somewhere():
    assert {"ring8", "grid25", "mnist", "stacked-mnist"} <= set(DEFAULT_DATASETS)
    assert {n for n, _ in PAIRS} == {i.name for i in list_variants() if not i.external}
    assert len(list_variants()) >= 26


@pytest.mark.parametrize("name,dataset", PAIRS, ids=[f"{n}-{d}" for n, d in PAIRS])
def test_variant_trains_and_scores(tmp_path, name, dataset):
    data = get_dataset(dataset)
    steps = 4 if data.spec.kind == "points" else 3
    (spec,) = plan_runs([name], [dataset], [0], "smoke", device="cpu", steps=steps)
    # save_every_seconds 0: the unfinished training is saved at step 2 (partial.pt), so every
    # variant's whole training state must pickle (a failure would be a failed row here)
    row = run_one(spec, tmp_path, log_every=2, save_every_seconds=0.0)
    assert row["status"] == "ok", row.get("error")
    assert not (spec.folder(tmp_path) / "partial.pt").exists()
    assert all(c in row for c in BASE_COLUMNS)
    if data.spec.kind == "translation":
        metrics = TRANSLATION_METRICS + (["hole_l1", "hole_psnr"] if data.spec.hole else [])
    elif data.spec.kind == "points":
        metrics = ["modes_covered", "hq_fraction", "reverse_kl"]
    else:
        metrics = [
            "fid",
            "kid_mean",
            "is_mean",
            "precision",
            "coverage",
            "msssim_gen",
            "nn_ratio",
            "modes_covered",
            "reverse_kl",
        ]
    for m in metrics:
        assert m in row and row[m] == row[m], m  # present and not NaN
    ckpt = torch.load(spec.folder(tmp_path) / "checkpoint.pt")
    two_way = getattr(get_variant(name).cls, "two_way", False)
    assert ("cycle_l1" in row) == two_way
    assert ckpt and all(ckpt.values())  # every net's weights saved
