"""The frozen digit network behind the perceptual (content) losses of SRGAN / ESRGAN.

The papers compare VGG19 feature maps of ImageNet weights, which cannot be downloaded here. This
is a small VGG-style digit classifier trained by `scripts/train_feature_net.py --net perceptual`
(seed 1, `mnist` train split only; weights in `ganbench/weights/perceptual_vgg.pt`, SHA-256 and
held-out accuracy in `perceptual_vgg.json`, checked at load). It is deliberately NOT the network
that evaluates (the project MNIST CNN in metrics/classifier.py: other seed, other architecture,
no batch norm): a generator trained on the judge's own features learns to please the judge.

Input: (N, 1, 28, 28) float in [-1, 1]. No batch norm and no dropout, so train and eval modes
compute the same thing and the loss is deterministic.
"""

from __future__ import annotations

from functools import cache

import torch
import torch.nn.functional as F
from torch import nn

from ganbench.backbones.weights import WEIGHTS_DIR, load_verified, read_meta
from ganbench.core.seeding import rng_untouched

WEIGHTS_FILE = WEIGHTS_DIR / "perceptual_vgg.pt"
META_FILE = WEIGHTS_DIR / "perceptual_vgg.json"
RETRAIN = "scripts/train_feature_net.py --net perceptual"
LAYERS = ("relu1_2", "relu2_2", "relu3_2")  # what forward returns, in order
CONTENT_LAYER = 2  # relu3_2, the deepest map (7 x 7 x 64): the analogue of SRGAN's VGG54


class PerceptualVGG(nn.Module):
    """Three VGG stages of two 3x3 convs each (16 | 32 | 64 channels, ReLU, no batch norm), 2x2
    max-pool between stages (28 -> 14 -> 7 px), then global average pool and 10 logits for the
    training task. About 72k parameters."""

    def __init__(self) -> None:
        super().__init__()
        widths = (16, 32, 64)
        self.stages = nn.ModuleList()
        cin = 1
        for w in widths:
            self.stages.append(
                nn.ModuleList([nn.Conv2d(cin, w, 3, padding=1), nn.Conv2d(w, w, 3, padding=1)])
            )
            cin = w
        self.head = nn.Linear(widths[-1], 10)
        for m in self.modules():  # He init: without batch norm the default init trains slowly
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor, before_activation: bool = False) -> list[torch.Tensor]:
        """Feature maps [relu1_2 (N,16,28,28), relu2_2 (N,32,14,14), relu3_2 (N,64,7,7)];
        before_activation: the last conv of each stage before its ReLU (ESRGAN's choice)."""
        maps = []
        for i, (conv_a, conv_b) in enumerate(self.stages):
            if i:
                x = F.max_pool2d(x, 2)
            pre = conv_b(F.relu(conv_a(x)))
            x = F.relu(pre)
            maps.append(pre if before_activation else x)
        return maps

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 10) digit logits: the training task that shapes the features."""
        return self.head(self(x)[-1].mean((2, 3)))


@cache
def weights_meta() -> dict:
    """sha256, held-out accuracy, seed, command of the shipped weights."""
    return read_meta(META_FILE, RETRAIN)


@cache
def _verified_state() -> dict:
    return load_verified(WEIGHTS_FILE, weights_meta()["sha256"], "perceptual network", RETRAIN)


def load_perceptual_net(device: torch.device | str = "cpu") -> nn.Module:
    """A fresh frozen copy (eval mode, requires_grad False) of the shipped perceptual net on
    `device`. Gradients still flow to its input. Keep it out of the nets a variant optimizes."""
    with rng_untouched():  # its initial weights are overwritten: not the variant's draw
        net = PerceptualVGG()
    net.load_state_dict(_verified_state())
    return net.eval().requires_grad_(False).to(device)


def perceptual_loss(
    net: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    layer: int = CONTENT_LAYER,
    before_activation: bool = False,
) -> torch.Tensor:
    """SRGAN's content loss: the mean squared difference of the feature maps of `x` (the
    generator's output) and `y` (the ground truth) at `layer` (default relu3_2, see LAYERS).
    0 for identical inputs, positive otherwise. No rescaling (SRGAN divides VGG maps by 12.75;
    the loss weight is the variant's to set)."""
    fx = net(x, before_activation)[layer]
    with torch.no_grad():
        fy = net(y, before_activation)[layer]
    return F.mse_loss(fx, fy)
