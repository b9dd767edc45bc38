"""ClusterGAN's MNIST networks (Mukherjee et al. 2019, appendix; the authors' released code,
sudiptodip15/ClusterGAN `mnist/clus_wgan.py`), at 28 / 32 px:

  G: z -> FC 1024, BN, ReLU -> FC 128 x s x s, BN, ReLU -> 4x4 deconv stride 2 to 64, BN, ReLU
     -> 4x4 deconv stride 2 to the image's channels (s = size / 4)
  D: x -> 4x4 conv stride 2 to 64, LeakyReLU 0.2 -> 4x4 conv stride 2 to 128, LeakyReLU 0.2
     -> FC 1024, LeakyReLU 0.2 -> FC 1 (no normalisation: the critic of WGAN-GP)
  E: D's body with an output of dim z_n + n_cat (ζ_n, then the cluster logits)

Weights N(0, 0.02) and zero biases, except D's and E's last layers, which the authors leave at
TensorFlow's default (Glorot uniform). Convolutions pad as TensorFlow's 'SAME' (28 -> 14 -> 7).
Changed: G ends in tanh (ganbench's images are in [-1, 1]; the authors' sigmoid on [0, 1] is the
same map up to an affine change); batch norm has a learned scale (TensorFlow's default has none)
and PyTorch's running statistics at evaluation (the authors' G always normalises with the batch's).
The authors' code declares an L2 regulariser (2.5e-5) on G and E but never adds it to the loss it
minimises, so there is none here (the PyTorch-GAN zoo's port applies it as Adam weight decay).
"""

from __future__ import annotations

import torch
from torch import nn

HIDDEN, C1, C2 = 1024, 64, 128
BN_EPS = 1e-3  # tf.contrib.layers.batch_norm's epsilon


def _init(module: nn.Module, skip: nn.Module | None = None) -> None:
    for m in module.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)) and m is not skip:
            nn.init.normal_(m.weight, 0.0, 0.02)
            nn.init.zeros_(m.bias)
    if skip is not None:
        nn.init.xavier_uniform_(skip.weight)
        nn.init.zeros_(skip.bias)


def _base(size: int) -> int:
    if size not in (28, 32):
        raise ValueError(f"ClusterGAN's networks take 28 or 32 px images, not {size} px")
    return size // 4


class ClusterGenerator(nn.Module):
    """z -> (channels, size, size)."""

    def __init__(self, latent_dim: int, out_shape: tuple[int, int, int]) -> None:
        super().__init__()
        c, size, _ = out_shape
        self.s = _base(size)
        self.fc = nn.Sequential(
            nn.Linear(latent_dim, HIDDEN), nn.BatchNorm1d(HIDDEN, BN_EPS), nn.ReLU(),
            nn.Linear(HIDDEN, C2 * self.s * self.s), nn.BatchNorm1d(C2 * self.s * self.s, BN_EPS),
            nn.ReLU(),
        )  # fmt: skip
        self.deconv = nn.Sequential(
            nn.ConvTranspose2d(C2, C1, 4, 2, 1), nn.BatchNorm2d(C1, BN_EPS), nn.ReLU(),
            nn.ConvTranspose2d(C1, c, 4, 2, 1), nn.Tanh(),
        )  # fmt: skip
        _init(self)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.deconv(self.fc(z).view(z.shape[0], C2, self.s, self.s))


class ClusterCritic(nn.Module):
    """x -> (N, out_dim): D with out_dim 1, the encoder E with out_dim z_n + n_cat."""

    def __init__(self, in_shape: tuple[int, int, int], out_dim: int = 1) -> None:
        super().__init__()
        c, size, _ = in_shape
        s = _base(size)
        self.net = nn.Sequential(
            nn.Conv2d(c, C1, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(C1, C2, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Flatten(), nn.Linear(C2 * s * s, HIDDEN), nn.LeakyReLU(0.2),
            nn.Linear(HIDDEN, out_dim),
        )  # fmt: skip
        _init(self, skip=self.net[-1])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)
