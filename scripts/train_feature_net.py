"""Train the project feature network (the MNIST CNN in ganbench/metrics/classifier.py).

Fixed seed, the `mnist` train split only (4,000 digits); augmentation: small random rotations,
scalings and shifts.
Prints the held-out accuracy (1,000 test digits, never trained on) and writes
ganbench/weights/mnist_cnn.pt plus mnist_cnn.json (sha256, accuracy, seed, command).

    .venv/bin/python scripts/train_feature_net.py    # ~2.5 min of CPU time (1 thread), 99.3%
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time

import torch
import torch.nn.functional as F

from ganbench.data import get_dataset
from ganbench.metrics.classifier import META_FILE, WEIGHTS_FILE, MnistCNN, sha256_file
from ganbench.seeding import seed_everything

REQUIRED_ACCURACY = 0.975


def random_shift(x: torch.Tensor, max_shift: int, g: torch.Generator) -> torch.Tensor:
    """Shift each image by up to `max_shift` pixels in x and y (background -1 fills the gap)."""
    n = len(x)
    pad = F.pad(x, (max_shift,) * 4, value=-1.0)
    dx = torch.randint(0, 2 * max_shift + 1, (n,), generator=g)
    dy = torch.randint(0, 2 * max_shift + 1, (n,), generator=g)
    rows = (dy[:, None] + torch.arange(28))[:, :, None]  # (n, 28, 1)
    cols = (dx[:, None] + torch.arange(28))[:, None, :]  # (n, 1, 28)
    idx = torch.arange(n)[:, None, None]
    return pad[idx, 0, rows, cols].unsqueeze(1)


def small_affine(
    x: torch.Tensor, g: torch.Generator, deg: float = 10.0, scale: float = 0.1
) -> torch.Tensor:
    """Random small rotation and scaling (bilinear, background -1)."""
    n = len(x)
    a = (torch.rand(n, generator=g) * 2 - 1) * deg * torch.pi / 180
    s = 1 + (torch.rand(n, generator=g) * 2 - 1) * scale
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0] = torch.cos(a) / s
    theta[:, 0, 1] = -torch.sin(a) / s
    theta[:, 1, 0] = torch.sin(a) / s
    theta[:, 1, 1] = torch.cos(a) / s
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x + 1, grid, align_corners=False, padding_mode="zeros") - 1


@torch.no_grad()
def accuracy(net: MnistCNN, x: torch.Tensor, y: torch.Tensor) -> float:
    net.eval()
    pred = torch.cat([net(x[i : i + 1000]).argmax(1) for i in range(0, len(x), 1000)])
    return float((pred == y).float().mean())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument(
        "--threads", type=int, default=1, help="CPU threads (1: fastest on a shared CPU)"
    )
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--no-write", action="store_true", help="train and print, write nothing")
    args = p.parse_args(argv)

    seed_everything(args.seed)
    torch.set_num_threads(args.threads)
    data = get_dataset("mnist")
    x, y = data.train, data.train_labels
    g = torch.Generator().manual_seed(args.seed)
    net = MnistCNN()
    opt = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=5e-4)
    steps_per_epoch = (len(x) + args.batch_size - 1) // args.batch_size
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, args.lr, total_steps=args.epochs * steps_per_epoch
    )
    t0 = time.perf_counter()
    for epoch in range(args.epochs):
        net.train()
        perm = torch.randperm(len(x), generator=g)
        for i in range(0, len(x), args.batch_size):
            idx = perm[i : i + args.batch_size]
            xb = random_shift(small_affine(x[idx], g), 2, g)
            loss = F.cross_entropy(net(xb), y[idx], label_smoothing=0.05)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
        if (epoch + 1) % 5 == 0 or epoch + 1 == args.epochs:
            print(
                f"epoch {epoch + 1:3d}  loss {loss.item():.4f}  train acc "
                f"{accuracy(net, x, y):.4f}  {time.perf_counter() - t0:.0f}s",
                flush=True,
            )
    acc = accuracy(net, data.test, data.test_labels)
    print(f"held-out accuracy (mnist test split, {len(data.test)} digits): {acc:.4f}")
    if acc < REQUIRED_ACCURACY:
        print(f"below the required {REQUIRED_ACCURACY}; not writing weights", file=sys.stderr)
        return 1
    if args.no_write:
        return 0
    buf = io.BytesIO()
    torch.save({k: v.clone() for k, v in net.state_dict().items()}, buf)
    WEIGHTS_FILE.parent.mkdir(parents=True, exist_ok=True)
    WEIGHTS_FILE.write_bytes(buf.getvalue())
    meta = {
        "file": WEIGHTS_FILE.name,
        "sha256": sha256_file(WEIGHTS_FILE),
        "accuracy": round(acc, 4),
        "accuracy_split": f"mnist test split ({len(data.test)} digits, held out)",
        "train_split": f"mnist train split ({len(x)} digits)",
        "seed": args.seed,
        "epochs": args.epochs,
        "torch": torch.__version__,
        "command": " ".join(
            ["python scripts/train_feature_net.py", *(argv if argv is not None else sys.argv[1:])]
        ),
        "train_seconds": round(time.perf_counter() - t0, 1),
    }
    META_FILE.write_text(json.dumps(meta, indent=2) + "\n")
    size_kib = WEIGHTS_FILE.stat().st_size / 1024
    print(
        f"wrote {WEIGHTS_FILE} ({size_kib:.0f} KiB) and {META_FILE.name}; "
        f"sha256 {meta['sha256'][:12]}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
