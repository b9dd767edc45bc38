"""The shared DCGAN-style conv pair (Radford et al. 2016) for 28 or 32 px images, sized and
initialised as the canonical PyTorch-GAN zoo's DCGAN (implementations/dcgan/dcgan.py) and the
DCGAN paper (issue 23: the former width-32 pair with a two-conv discriminator let D win outright
under the least-squares and WGAN-GP losses, so it ranked the networks, not the losses).

`width` w is one number (`--hp width=`, default DEFAULT_WIDTH = 64); at 64 the channels are the
zoo's:

  G: z -> Linear -> (2w, s, s) -> BN -> ReLU                        s = 7 (28 px) or 8 (32 px)
       -> up x2 -> Conv3 (2w -> 2w) -> BN -> ReLU                   2s
       -> up x2 -> Conv3 (2w -> w)  -> BN -> ReLU                   4s = 28 or 32
       -> Conv3 (w -> C) -> tanh
     (the zoo: the same channels and upsampling, LeakyReLU; the paper: ReLU and batch norm in
     every G layer but the output, fractionally strided convolutions, which at 500 steps left
     speckled strokes here, docs/variants.md)
  D: four blocks Conv3 s2 -> [norm] -> LeakyReLU(0.2) -> Dropout2d(p), channels w/4, w/2, w, 2w
     (no norm on the first block), 28 -> 14 -> 7 -> 4 -> 2 (32 -> 16 -> 8 -> 4 -> 2), then a
     linear score on the 2w x 2 x 2 features (`features`, for heads). The zoo's D: 16, 32, 64, 128
     channels, dropout 0.25, batch norm after blocks 2-4.

Every conv / linear weight ~ N(0, 0.02), biases 0, batch-norm scales ~ N(1, 0.02) (the DCGAN
paper's initialisation, the zoo's `weights_init_normal`). D's normalisation is selectable because
gradient penalties are invalid with batch norm (WGAN-GP paper, section 4: layer norm or none).
Batch norm has the zoo's eps of 0.8 (BN_EPS: why, below). DiscoGAN and the encoders of AAE /
BiGAN / VAE-GAN / ClusterGAN reuse D with `dropout=0`."""

from __future__ import annotations

import torch
from torch import nn

DEFAULT_WIDTH = 64  # the zoo's DCGAN channels (G 128 -> 128 -> 64, D 16 -> 32 -> 64 -> 128)
DROPOUT = 0.25  # the zoo's Dropout2d in every discriminator block
INIT_STD = 0.02  # DCGAN paper: "zero-centered Normal distribution with standard deviation 0.02"
# The zoo's `nn.BatchNorm2d(c, 0.8)`: the second positional argument is eps. With weights of
# N(0, 0.02) the pre-norm activations have a variance far below 0.8, so such a batch norm centres
# them without scaling them up to unit variance until they grow. Kept on purpose, measured (lsgan,
# width 32, 500 steps, seed 0): FID 19.1 with eps 1e-5 against 12.2 with 0.8 (the zoo: 11.0); with
# eps 1e-5 D wins early (D loss 0.14 at steps 100-150 against the zoo's balanced 0.25).
BN_EPS = 0.8


@torch.no_grad()
def dcgan_init(module: nn.Module) -> nn.Module:
    """DCGAN's initialisation of every layer in `module`: conv, transposed conv and linear weights
    ~ N(0, 0.02) with zero biases; batch-norm scales ~ N(1, 0.02), shifts 0. Returns `module`."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, INIT_STD)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            nn.init.normal_(m.weight, 1.0, INIT_STD)
            nn.init.zeros_(m.bias)
    return module


def _check_size(shape: tuple[int, ...], what: str) -> None:
    _, h, w = shape
    if h != w or h not in (28, 32, 64):
        raise ValueError(f"{what} builds 28, 32 or 64 px square images, not {h}x{w}")


def _bn(channels: int, eps: float = BN_EPS) -> nn.BatchNorm2d:
    """Batch norm with eps = BN_EPS (0.8), as every batch norm of the zoo's DCGAN but G's first."""
    return nn.BatchNorm2d(channels, eps=eps)


def _up(c_in: int, c_out: int) -> list[nn.Module]:
    """x2 nearest-neighbour upsampling, then a 3x3 conv (the zoo's G; Odena et al. 2016: no
    checkerboard pattern, unlike a stride-2 transposed conv, which left speckled strokes at the
    quick budget, issue 23)."""
    return [nn.Upsample(scale_factor=2), nn.Conv2d(c_in, c_out, 3, 1, 1)]


class ConvGenerator(nn.Module):
    def __init__(
        self, latent_dim: int, out_shape: tuple[int, int, int], width: int = DEFAULT_WIDTH
    ) -> None:
        super().__init__()
        _check_size(tuple(out_shape), "ConvGenerator")
        c, h, _ = out_shape
        self.out_shape = tuple(out_shape)
        self.base = h // 4 if h != 64 else 8  # 7 or 8; 64 px: 8 -> 16 -> 32 -> 64
        self.width = width
        self.fc = nn.Linear(latent_dim, 2 * width * self.base * self.base)
        up64 = (  # 64 px (user data): one more upsampling block, same channels
            [*_up(2 * width, 2 * width), _bn(2 * width), nn.ReLU()]
            if h == 64 else []
        )  # fmt: skip
        self.net = nn.Sequential(
            _bn(2 * width),
            nn.ReLU(),
            *up64,
            *_up(2 * width, 2 * width),
            _bn(2 * width),
            nn.ReLU(),
            *_up(2 * width, width),
            _bn(width),
            nn.ReLU(),
            nn.Conv2d(width, c, 3, 1, 1),
            nn.Tanh(),
        )
        dcgan_init(self)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.fc(z).view(z.shape[0], 2 * self.width, self.base, self.base)
        return self.net(h)


def _norm2d(kind: str, channels: int, size: int) -> nn.Module:
    if kind == "batch":
        return _bn(channels)
    if kind == "batch-torch":  # PyTorch's eps 1e-5: normalises even tiny activations (WGAN)
        return _bn(channels, eps=1e-5)
    if kind == "layer":
        return nn.GroupNorm(1, channels)  # layer norm over (C, H, W)
    if kind == "none":
        return nn.Identity()
    raise ValueError(f"unknown norm {kind!r}; use batch, batch-torch, layer or none")


class ConvDiscriminator(nn.Module):
    """image -> four strided conv blocks -> `features` (penultimate, for heads) -> `out_dim`
    scores. `dropout` after every block (the zoo's 0.25; 0 for encoders). `init`: "dcgan"
    (N(0, 0.02)) or "default" (PyTorch's, for WGAN-div's critic: see variants/wgan_div.py)."""

    def __init__(
        self,
        in_shape: tuple[int, int, int],
        width: int = DEFAULT_WIDTH,
        norm: str = "batch",
        out_dim: int = 1,
        dropout: float = DROPOUT,
        init: str = "dcgan",
    ) -> None:
        super().__init__()
        _check_size(tuple(in_shape), "ConvDiscriminator")
        if init not in ("dcgan", "default"):
            raise ValueError(f"init must be 'dcgan' or 'default' (PyTorch's), not {init!r}")
        c, h, _ = in_shape
        channels = (c, max(1, width // 4), max(1, width // 2), width, 2 * width)
        layers: list[nn.Module] = []
        size = h
        for i in range(4):
            size = (size + 1) // 2  # conv3, stride 2, padding 1
            layers.append(nn.Conv2d(channels[i], channels[i + 1], 3, 2, 1))
            if i > 0:
                layers.append(_norm2d(norm, channels[i + 1], size))
            layers.append(nn.LeakyReLU(0.2))
            if dropout:
                layers.append(nn.Dropout2d(dropout))
        layers.append(nn.Flatten())
        self.features = nn.Sequential(*layers)
        self.feature_dim = channels[-1] * size * size
        self.head = nn.Linear(self.feature_dim, out_dim)
        self.width = width
        if init == "dcgan":
            dcgan_init(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.head(self.features(x))
        return out.squeeze(1) if out.shape[1] == 1 else out
