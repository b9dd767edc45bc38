"""The variant contract. A variant builds its networks for a DataSpec and says what its losses are;
the harness (ganbench.train) owns the loop, optimizers, schedules, seeding, device and budget."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import torch
from torch import nn

from ganbench.data.base import Dataset, DataSpec


@dataclass(frozen=True)
class OptimSpec:
    """An optimizer by name with its paper's settings; built by the harness."""

    name: str = "adam"
    lr: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.999)
    extra: dict[str, Any] = field(default_factory=dict)

    def build(self, params: Iterable[torch.nn.Parameter]) -> torch.optim.Optimizer:
        params = list(params)
        if self.name == "adam":
            return torch.optim.Adam(params, lr=self.lr, betas=self.betas, **self.extra)
        if self.name == "rmsprop":
            return torch.optim.RMSprop(params, lr=self.lr, **self.extra)
        if self.name == "sgd":
            return torch.optim.SGD(params, lr=self.lr, **self.extra)
        raise ValueError(f"unknown optimizer {self.name!r}")


def _with(spec: OptimSpec, lr: float | None, betas: tuple[float, float] | None) -> OptimSpec:
    """The class's optimizer with the hyper-parameters' lr / betas where they are set."""
    changes: dict[str, Any] = {}
    if lr is not None:
        changes["lr"] = float(lr)
    if betas is not None:
        changes["betas"] = (float(betas[0]), float(betas[1]))
    return replace(spec, **changes) if changes else spec


def latent_size(spec: DataSpec) -> int:
    """z is 2-D for the 2-D mixtures (PacGAN config) and 100-D for images (DCGAN paper)."""
    return 2 if spec.kind == "points" else 100


class Variant:
    """Base class. Subclasses set `defaults` (their paper's hyper-parameters) and the two losses.

    d_loss(real, z, labels) -> scalar loss for the discriminator / critic
    g_loss(z, labels)       -> scalar loss for the generator
    Extra per-step scalars to log (e.g. BEGAN's convergence measure) go in `self.logs`.

    `kind_defaults` overrides `defaults` per data kind ("points" / "image") where the authors'
    own code uses other settings for that kind of data (each entry cites its source).
    """

    name: ClassVar[str] = ""
    defaults: ClassVar[dict[str, Any]] = {}
    kind_defaults: ClassVar[dict[str, dict[str, Any]]] = {}
    # Shared by every variant. None means "what the data call for" (latent_dim, see latent_size)
    # or "the class's own setting" (n_critic, and lr / betas of d_optim and g_optim).
    common_defaults: ClassVar[dict[str, Any]] = {
        "latent_dim": None,
        "n_critic": None,
        "d_lr": None,
        "g_lr": None,
        "d_betas": None,
        "g_betas": None,
    }
    n_critic: int = 1
    conditional: ClassVar[bool] = False  # set by @register: the variant trains on labels
    # Whether G itself is told the label. On the mixtures the label is the mode index, so a
    # label-conditioned G is handed mode coverage; rows say so (`generator_conditioned`). SGAN's
    # labels reach only its classifier-discriminator.
    generator_uses_labels: ClassVar[bool | None] = None  # None: the same as `conditional`

    @classmethod
    def generator_conditioned(cls) -> bool:
        return cls.conditional if cls.generator_uses_labels is None else cls.generator_uses_labels
    d_optim: OptimSpec = OptimSpec()
    g_optim: OptimSpec = OptimSpec()

    @classmethod
    def known_hparams(cls, kind: str) -> dict[str, Any]:
        """Every settable hyper-parameter with its default for data of `kind`."""
        return {**cls.common_defaults, **cls.defaults, **cls.kind_defaults.get(kind, {})}

    def __init__(self, spec: DataSpec, **overrides: Any) -> None:
        from ganbench.hparams import check_hp

        known = self.known_hparams(spec.kind)
        check_hp(self.name, known, overrides)
        self.spec = spec
        self.hp: dict[str, Any] = {**known, **overrides}
        self.latent_dim: int = self.hp["latent_dim"] or latent_size(spec)
        if self.hp["n_critic"] is not None:
            self.n_critic = int(self.hp["n_critic"])
        self.d_optim = _with(type(self).d_optim, self.hp["d_lr"], self.hp["d_betas"])
        self.g_optim = _with(type(self).g_optim, self.hp["g_lr"], self.hp["g_betas"])
        self.logs: dict[str, torch.Tensor] = {}
        self.G, self.D = self.build(spec)
        # What the run really used, for the row's `hp_effective`: the Nones resolved (after
        # build, which may set latent_dim).
        self.hp.update(
            latent_dim=self.latent_dim,
            n_critic=self.n_critic,
            d_lr=self.d_optim.lr,
            g_lr=self.g_optim.lr,
            d_betas=self.d_optim.betas,
            g_betas=self.g_optim.betas,
        )

    # --- what subclasses define -------------------------------------------------------------
    def build(self, spec: DataSpec) -> tuple[nn.Module, nn.Module]:
        from ganbench.nets import default_pair

        return default_pair(spec, self.latent_dim)

    def d_loss(
        self, real: torch.Tensor, z: torch.Tensor, labels: torch.Tensor | None
    ) -> torch.Tensor:
        raise NotImplementedError

    def g_loss(self, z: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        raise NotImplementedError

    def after_d_step(self) -> None:
        """Hook after each critic update (WGAN's weight clipping)."""

    def extra_metrics(
        self, data: Dataset, device: torch.device, generator: torch.Generator
    ) -> dict[str, float]:
        """Columns only this variant has meaning for (SGAN's classifier accuracy, an encoder's
        reconstruction error, ...), computed after training on the held-out split."""
        return {}

    # --- shared behaviour ---------------------------------------------------------------------
    def d_parameters(self) -> Iterable[nn.Parameter]:
        return self.D.parameters()

    def g_parameters(self) -> Iterable[nn.Parameter]:
        return self.G.parameters()

    def modules(self) -> dict[str, nn.Module]:
        """Every network, for checkpoints and device moves."""
        return {"G": self.G, "D": self.D}

    def to(self, device: torch.device | str) -> Variant:
        for m in self.modules().values():
            m.to(device)
        return self

    def noise(
        self, n: int, device: torch.device | str, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        return torch.randn(n, self.latent_dim, device=device, generator=generator)

    def generate(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.G(z) if labels is None else self.G(z, labels)

    @torch.no_grad()
    def sample(
        self,
        n: int,
        device: torch.device | str,
        generator: torch.Generator | None = None,
        labels: torch.Tensor | None = None,
    ) -> torch.Tensor:
        was_training = self.G.training
        self.G.eval()
        try:
            return self.generate(self.noise(n, device, generator), labels)
        finally:
            self.G.train(was_training)
