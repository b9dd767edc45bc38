"""Every translation metric for one translator (a callable (a, mask) -> b), on one dataset.

The translator sees held-out sources only: `data.test_source[i]` (with `data.test_mask[i]` for
inpainting) must give `data.test[i]`, the ground truth, which it never sees. Metrics never see a
variant: this is also the seam for plug-in translators and for the reference rows
(ganbench/harness/reference.py: the ground truth itself, bicubic upsampling, mean fill).

Columns (a contract; docs/metrics.md "Translation metrics"; directions in ganbench/core/directions.py):
  l1, psnr, ssim              whole image against the ground truth (metrics/paired.py: [0, 1]
                              scale, PSNR capped at 100 dB, single-scale SSIM window 11 sigma 1.5)
  hole_l1, hole_l2, hole_psnr inpainting only: the same on the hole (mask == 1), Context Encoder
  label_preservation          accuracy of the project classifier of the target domain
                              (metrics/classifier.classify(domain=spec.target_domain)) on the
                              outputs against the source digit's label (`data.test_labels`)
  label_preservation_real     the same classifier on the ground-truth targets of the same pairs
  fid, kid_mean, kid_std      outputs against the held-out targets of the reference subset, in the
                              target domain's feature space (`features` names it)
  fid_real, kid_mean_real, kid_std_real
                              the ground-truth targets of the same pairs against the same
                              reference: what a perfect translator scores
  cycle_l1                    only with translate_back: l1(translate_back(translate(a)), a)
l1 / psnr / ssim / hole_* have no `_real` column: the ground truth scores 0 / the cap / 1 by
definition. cycle_l1 has none either (an exact inverse scores 0).

Sample counts: k = min(sizes.n_pairs or sizes.n_gen_image, len(data.test)) pairs, a fixed
subset for the seed (the held-out split shuffled by the seed, the pairs outside the FID
reference subset first, as the `real` row of the image suite draws); the FID/KID reference is
image_suite.real_subset(n_real) (seed 0, the same for every seed and variant). Where both cover
the whole split (standard: 1,000 of 1,000), fid_real is 0 by construction (a zero point, not a
noise floor).
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from ganbench.core.config import EvalSizes
from ganbench.data.base import Dataset
from ganbench.metrics import classifier, paired
from ganbench.metrics.evaluation import Evaluation, SamplerError
from ganbench.metrics.features import extract, resolve_feature_space
from ganbench.metrics.fidelity import fid, kid, real_features
from ganbench.metrics.image_suite import real_subset

Translator = Callable[..., torch.Tensor]  # translate(a, mask) -> b; mask None unless inpainting
BackTranslator = Callable[[torch.Tensor], torch.Tensor]

CHUNK = 500  # pairs per translator call
TRIPLETS = 16  # pairs drawn in the run's picture
TRIPLET_SEED = 0  # the same 16 pairs for every variant and seed, so pictures compare


def pair_indices(n_total: int, n_pairs: int, n_real: int | None, seed: int) -> torch.Tensor:
    """The held-out pairs scored: min(n_pairs, n_total) indices of the split shuffled by `seed`,
    those outside the FID reference subset (real_subset(n_total, n_real)) first."""
    in_ref = torch.zeros(n_total, dtype=torch.bool)
    in_ref[real_subset(n_total, n_real)] = True
    order = torch.randperm(n_total, generator=torch.Generator().manual_seed(int(seed)))
    order = torch.cat([order[~in_ref[order]], order[in_ref[order]]])
    return order[: min(n_pairs, n_total)]


def triplet_indices(data: Dataset, n: int = TRIPLETS) -> torch.Tensor:
    """A fixed set of n held-out pairs: in a random order (seed TRIPLET_SEED), the first pair of
    each digit label in label order (so a picture of the first 10 shows 0 ... 9), then the next
    pairs of that order."""
    g = torch.Generator().manual_seed(TRIPLET_SEED)
    order = torch.randperm(len(data.test), generator=g).tolist()
    first: dict[int, int] = {}
    if data.test_labels is not None:
        for i in order:
            first.setdefault(int(data.test_labels[i]), i)
    head = [first[c] for c in sorted(first)]
    taken = set(head)
    rest = [i for i in order if i not in taken]
    return torch.tensor((head + rest)[: min(n, len(order))], dtype=torch.long)


def checked_call(
    fn: Callable[..., torch.Tensor],
    inputs: torch.Tensor,
    masks: torch.Tensor | None,
    shape: tuple[int, ...],
    device: torch.device | str,
    what: str = "the translator",
) -> torch.Tensor:
    """fn(a, mask) over `inputs` in chunks of CHUNK (mask None when `masks` is), each output checked
    as a plug-in generator's is: a float tensor of shape (k, *shape), finite. Float32 on the
    CPU; a SamplerError with a one-line message otherwise."""
    dev = torch.device(device)
    parts = []
    for i in range(0, len(inputs), CHUNK):
        a = inputs[i : i + CHUNK].to(dev)
        k = len(a)
        mask = None if masks is None else masks[i : i + CHUNK].to(dev)
        with torch.no_grad():
            y = fn(a, mask)
        if not isinstance(y, torch.Tensor):
            raise SamplerError(f"{what} returned {type(y).__name__}, expected a torch.Tensor")
        if tuple(y.shape) != (k, *shape):
            raise SamplerError(
                f"{what} returned shape {tuple(y.shape)} for {k} inputs, expected {(k, *shape)}"
            )
        if not y.dtype.is_floating_point:
            raise SamplerError(f"{what} returned dtype {y.dtype}, expected float in [-1, 1]")
        y = y.detach().float().cpu()
        if not torch.isfinite(y).all():
            raise SamplerError(f"{what} returned NaN or inf values")
        parts.append(y)
    return torch.cat(parts) if parts else torch.zeros(0, *shape)


def _accuracy(images: torch.Tensor, labels: torch.Tensor, domain: str, device) -> float:
    # batches of 64 run ~5x faster than 1,000 on a CPU (the activations stay in cache)
    pred = classifier.classify(images, device, batch_size=64, domain=domain)
    return float((pred == labels.cpu()).double().mean())


_REAL: dict[tuple, dict[str, float]] = {}


def _real_columns(data: Dataset, idx, ref, space, sizes: EvalSizes, device) -> dict[str, float]:
    """The `_real` columns (the ground truth of the scored pairs through the same metrics): one
    set per (dataset, pairs, reference, space) and process, as every variant shares them."""
    key = (
        data.spec.name, id(data.test), data.test.data_ptr(), tuple(idx.tolist()),
        tuple(ref.tolist()), space.id, sizes.kid_subset_size,
    )  # fmt: skip
    if key not in _REAL:
        test_f = real_features(data, "test", space, device)["features"]
        r: dict[str, float] = {}
        if data.test_labels is not None:
            domain = data.spec.target_domain or "mnist"
            r["label_preservation_real"] = _accuracy(
                data.test[idx], data.test_labels[idx], domain, device
            )
        r["fid_real"] = fid(test_f[idx], test_f[ref])
        r["kid_mean_real"], r["kid_std_real"] = kid(test_f[idx], test_f[ref], sizes.kid_subset_size)
        _REAL[key] = r
    return _REAL[key]


def evaluate_translation(
    translate: Translator,
    data: Dataset,
    sizes: EvalSizes,
    seed: int,
    features: str = "auto",
    device: torch.device | str = "cpu",
    translate_back: BackTranslator | None = None,
) -> Evaluation:
    """Score `translate` on the held-out pairs of `data` (module docstring). Artifacts:
    "triplets" = (sources, outputs, ground truths) of TRIPLETS fixed pairs, "samples" = the
    outputs of the scored pairs."""
    spec = data.spec
    if data.test_source is None:
        raise ValueError(f"{spec.name}: not a translation dataset (no test_source)")
    inpainting = spec.relation == "inpainting"
    if inpainting and data.test_mask is None:
        raise ValueError(f"{spec.name}: an inpainting dataset needs test_mask")
    space = resolve_feature_space(features, spec.name)  # fails fast, before any translating
    idx = pair_indices(len(data.test), sizes.n_pairs or sizes.n_gen_image, sizes.n_real_image, seed)
    src, truth = data.test_source[idx], data.test[idx]
    masks = data.test_mask[idx] if inpainting else None
    out = checked_call(translate, src, masks, tuple(spec.shape), device)

    m: dict[str, float | int] = {
        "l1": paired.l1(out, truth),
        "psnr": paired.psnr(out, truth),
        "ssim": paired.ssim(out, truth),
    }
    if inpainting:
        m["hole_l1"] = paired.hole_l1(out, truth, masks)
        m["hole_l2"] = paired.hole_l2(out, truth, masks)
        m["hole_psnr"] = paired.hole_psnr(out, truth, masks)

    ref = real_subset(len(data.test), sizes.n_real_image)
    real = _real_columns(data, idx, ref, space, sizes, device)
    if data.test_labels is not None:
        domain = spec.target_domain or "mnist"
        m["label_preservation"] = _accuracy(out, data.test_labels[idx], domain, device)
        m["label_preservation_real"] = real["label_preservation_real"]

    ref_f = real_features(data, "test", space, device)["features"][ref]
    out_f = extract(space, out, device)["features"]
    m["fid"] = fid(out_f, ref_f)
    m["kid_mean"], m["kid_std"] = kid(out_f, ref_f, sizes.kid_subset_size)
    m.update({k: real[k] for k in ("fid_real", "kid_mean_real", "kid_std_real")})

    if translate_back is not None:
        back = checked_call(
            lambda b, _: translate_back(b),
            out,
            None,
            tuple(spec.source_shape or spec.shape),
            device,
            "translate_back",
        )
        m["cycle_l1"] = paired.l1(back, src)

    t = triplet_indices(data)
    t_masks = data.test_mask[t] if inpainting else None
    t_out = checked_call(translate, data.test_source[t], t_masks, tuple(spec.shape), device)
    artifacts = {"triplets": (data.test_source[t], t_out, data.test[t]), "samples": out}
    return Evaluation(m, space.id, len(idx), len(ref), artifacts=artifacts)
