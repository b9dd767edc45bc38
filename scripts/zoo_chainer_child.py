"""The Chainer side of scripts/zoo_compare.py's canonical runs that are not PyTorch (issue 23).

SN-GAN's canonical implementation is Chainer: the SN-DCGAN of pfnet-research/chainer-gan-lib
(Preferred Networks, the SN-GAN authors' lab; `common/net.py` DCGANGenerator and
SNDCGANDiscriminator = the paper's standard CNN, `stdgan/updater.py` = its non-saturating loss,
`example.sh`'s sndcgan line = setting C: n_dis 1, Adam(2e-4, 0.5, 0.999)). This file runs that code
as it is, offline, in a separate Python that has Chainer (zoo_compare.py starts it; ganbench never
imports it): the library's own networks and updater, fed the digits zoo_compare.py exported (the
zoo's 28 -> 32 px resize, three equal channels as the CIFAR-10 input the networks expect), for
exactly `--steps` generator updates at batch 64, then draws samples from G in test mode (its
running batch-norm statistics, as the library's own sample_generate) with the library's own noise
(make_hidden: uniform in [-1, 1]) and saves them as float32 (N, 3, 32, 32) in [-1, 1].

    $CHAINER_PYTHON scripts/zoo_chainer_child.py --lib DIR --data x.npy --steps 500 --seed 0 \
        --out FOLDER
"""

from __future__ import annotations

import json
import random
import sys
import time

import numpy as np
from zoo_child_args import child_parser


def main() -> None:
    ap = child_parser(__doc__, "chainer-gan-lib")
    ap.add_argument("--batch", type=int, default=64)
    a = ap.parse_args()

    sys.path[:0] = [str(a.lib), str(a.lib / "common")]  # the library imports both ways
    import chainer
    import common.net as net
    from stdgan.updater import Updater

    random.seed(a.seed)
    np.random.seed(a.seed)  # the iterator's shuffling, the initialisers and make_hidden
    x = np.load(a.data).astype(np.float32)
    gen, dis = net.DCGANGenerator(), net.SNDCGANDiscriminator()  # train.py's `sndcgan`

    def adam(model):  # train.py's make_optimizer with example.sh's sndcgan settings
        opt = chainer.optimizers.Adam(alpha=2e-4, beta1=0.5, beta2=0.999)
        opt.setup(model)
        return opt

    updater = Updater(
        models=(gen, dis), n_dis=1, iterator={"main": chainer.iterators.SerialIterator(x, a.batch)},
        optimizer={"opt_gen": adam(gen), "opt_dis": adam(dis)}, device=-1,
    )
    a.out.mkdir(parents=True, exist_ok=True)
    log, t0 = [], time.time()
    reporter = chainer.Reporter()
    for step in range(1, a.steps + 1):
        obs: dict = {}
        with reporter.scope(obs):
            updater.update()
        if step % 50 == 0 or step == a.steps:
            row = {"step": step, "seconds": round(time.time() - t0, 1),
                   **{k: float(v.data if hasattr(v, "data") else v) for k, v in obs.items()}}
            log.append(row)
            print(json.dumps(row), flush=True)
    seconds = time.time() - t0

    out = []
    with chainer.using_config("train", False), chainer.no_backprop_mode():
        for i in range(0, a.n_samples, 500):
            z = gen.make_hidden(min(500, a.n_samples - i))
            out.append(np.clip(gen(z).data, -1, 1).astype(np.float32))
    np.save(a.out / "samples.npy", np.concatenate(out))
    count = lambda m: int(sum(p.data.size for p in m.params()))  # noqa: E731
    (a.out / "canonical_train.json").write_text(json.dumps({
        "library": "pfnet-research/chainer-gan-lib", "networks": "DCGANGenerator + SNDCGANDiscriminator",
        "updater": "stdgan", "n_dis": 1, "adam": [2e-4, 0.5, 0.999], "steps": a.steps,
        "batch": a.batch, "seed": a.seed, "train_seconds": seconds, "chainer": chainer.__version__,
        "g_params": count(gen), "d_params": count(dis), "log": log,
    }, indent=1))


if __name__ == "__main__":
    main()
