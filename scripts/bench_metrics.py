"""Time the whole image evaluation of one generator (every metric) next to torch-fidelity called
directly for the same IS / FID / KID, and the nearest-neighbour step next to scikit-learn's brute
force on the same arrays. Prints the sample counts used and the ratios.

    .venv/bin/python scripts/bench_metrics.py                # standard counts (slow on a CPU)
    .venv/bin/python scripts/bench_metrics.py --preset quick
    .venv/bin/python scripts/bench_metrics.py --n 5000 --dataset stacked-mnist

The generator is the `gan` variant's generator after a few training steps (its quality does not
matter for timing). The suite is timed twice: cold (empty feature cache: real features, k-means
cells and train nearest neighbours are computed) and warm (cached, as on every later run).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from dataclasses import replace

import torch


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--preset", default="standard", help="sample counts from this preset")
    ap.add_argument(
        "--n", type=int, help="override the generated count (FID/KID/IS/PRDC and modes)"
    )
    ap.add_argument("--dataset", default="mnist")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch default)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    os.environ["GANBENCH_CACHE"] = tempfile.mkdtemp(prefix="ganbench-bench-cache-")

    import torch_fidelity
    from sklearn.neighbors import NearestNeighbors
    from torch.utils.data import Dataset as TorchDataset

    from ganbench.core.config import get_preset
    from ganbench.core.seeding import make_generator, resolve_device, seed_everything
    from ganbench.data import get_dataset
    from ganbench.harness.train import train
    from ganbench.metrics.evaluate import draw
    from ganbench.metrics.features import extract, resolve_feature_space, to_uint8
    from ganbench.metrics.fidelity import fid, inception_score, kid, real_features
    from ganbench.metrics.image_suite import evaluate_images, real_subset
    from ganbench.metrics.neighbours import knn
    from ganbench.registry import get_variant

    device = resolve_device(args.device)
    data = get_dataset(args.dataset)
    sizes = get_preset(args.preset).eval
    if args.n:
        sizes = replace(sizes, n_gen_image=args.n, n_modes_image=args.n)
    seed_everything(0)
    variant = get_variant("gan").cls(data.spec)
    budget = replace(get_preset("smoke").budget_for("image"), steps=20)
    train(variant, data, budget, device, make_generator(0, device), 50)
    ref = real_subset(len(data.test), sizes.n_real_image)
    print(
        f"device {device}, torch threads {torch.get_num_threads()}, dataset {args.dataset}, "
        f"preset {args.preset}{' with --n ' + str(args.n) if args.n else ''}"
    )
    print(
        f"counts: n_gen {sizes.n_gen_image}, n_modes {sizes.n_modes_image}, n_real {len(ref)} "
        f"(held-out split), train {len(data.train)}, msssim pairs {sizes.msssim_pairs}, "
        f"kid subset {sizes.kid_subset_size}"
    )

    def sampler():
        return variant.typed_heads(device, make_generator(1, device)).generate

    def timed(fn):
        t = time.perf_counter()
        out = fn()
        return time.perf_counter() - t, out

    cold, ev = timed(lambda: evaluate_images(sampler(), data, sizes, 0, "auto", device))
    warm, ev = timed(lambda: evaluate_images(sampler(), data, sizes, 0, "auto", device))
    print(
        f"ganbench whole evaluation (all {len(ev.metrics)} columns): cold {cold:.2f}s, "
        f"warm {warm:.2f}s"
    )

    # the shared metrics alone, the suite's way (warm cache): draw, extract, IS / FID / KID
    space = resolve_feature_space("auto", args.dataset)
    n = sizes.n_gen_image
    x = draw(sampler(), n, data)

    def ours_shared():
        g = extract(space, x, device)
        r = {k: v[ref] for k, v in real_features(data, "test", space, device).items()}
        return (
            inception_score(g["logits"]),
            fid(g["features"], r["features"]),
            kid(g["features"], r["features"], sizes.kid_subset_size),
        )

    t_shared, (is_, fid_, kid_) = timed(ours_shared)

    class U8(TorchDataset):
        def __init__(self, images):
            self.x = to_uint8(images)

        def __len__(self):
            return len(self.x)

        def __getitem__(self, i):
            return self.x[i]

    kid_size = min(sizes.kid_subset_size, n, len(ref))
    t_tf, tf = timed(
        lambda: torch_fidelity.calculate_metrics(
            input1=U8(x),
            input2=U8(data.test[ref]),
            cuda=device.type == "cuda",
            isc=True,
            fid=True,
            kid=True,
            kid_subset_size=kid_size,
            verbose=False,
            cache=False,
            **space.extractor_kwargs,
        )
    )
    print(
        f"IS/FID/KID  ganbench {t_shared:.2f}s  torch-fidelity direct {t_tf:.2f}s  "
        f"ratio (torch-fidelity / ganbench) {t_tf / t_shared:.2f}x"
    )
    print(
        f"  agreement: IS {is_[0]:.6f} vs {tf['inception_score_mean']:.6f}, FID {fid_:.6f} vs "
        f"{tf['frechet_inception_distance']:.6f}, KID {kid_[0]:.6g} vs "
        f"{tf['kernel_inception_distance_mean']:.6g}"
    )
    print(
        f"  whole evaluation (warm) / torch-fidelity direct for three metrics: {warm / t_tf:.2f}x"
    )

    # nearest neighbours: generated -> train (memorization) and train -> train (authenticity)
    gen_f = extract(space, x, device)["features"]
    train_f = real_features(data, "train", space, device)["features"]
    for label, q, r, k in (
        ("generated->train 1-NN", gen_f, train_f, 1),
        ("train->train 2-NN (self incl.)", train_f, train_f, 2),
    ):
        qd, rd = q.to(device), r.to(device)
        knn(qd[:10], rd, k)  # warm-up
        t_ours, (d_ours, i_ours) = timed(lambda qd=qd, rd=rd, k=k: knn(qd, rd, k))
        if device.type == "cuda":
            torch.cuda.synchronize()
        nn = NearestNeighbors(n_neighbors=k, algorithm="brute")
        t_sk, (d_sk, i_sk) = timed(lambda q=q, r=r, nn=nn: nn.fit(r.numpy()).kneighbors(q.numpy()))
        agree = float((i_ours.cpu().numpy()[:, -1] == i_sk[:, -1]).mean())
        print(
            f"{label} ({len(q)} x {len(r)}, d={q.shape[1]}): ganbench {t_ours:.3f}s  "
            f"sklearn brute {t_sk:.3f}s  ratio {t_sk / t_ours:.1f}x  (same index {agree:.4f})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
