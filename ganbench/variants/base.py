"""The variant contract. A variant builds its networks for a DataSpec, declares its players (named
parameter groups with their optimizers) and its ordered updates (ganbench.variants.updates), and
says what each loss is; the harness (ganbench.harness.train) owns the loop, optimizers, seeding, device and
budget. `Variant` is the two-player noise -> sample case (d_loss / g_loss); `Translator` is the
source -> target case with any number of players."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import torch
from torch import nn

from ganbench.core import hparams as hpr
from ganbench.data.base import Dataset, DataSpec
from ganbench.variants.updates import Joint, StepContext, Update

UPDATE_MODES = ("alternating", "simultaneous")


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
    # arch: the named networks of ganbench.nets.archs for variants on the shared pair;
    # update: "alternating" (critic steps, then a generator step on fresh noise) or
    # "simultaneous" (both gradients from one batch and one generator pass, stepped together).
    common_defaults: ClassVar[dict[str, Any]] = {
        "latent_dim": None,
        "n_critic": None,
        "d_lr": None,
        "g_lr": None,
        "d_betas": None,
        "g_betas": None,
        "arch": "default",
        "update": "alternating",
    }
    # What values a hyper-parameter takes where its default does not say (ganbench.core.hparams);
    # a subclass adds its own in `rules`.
    common_rules: ClassVar[dict[str, hpr.Rule]] = {
        "latent_dim": hpr.positive_int(),
        "n_critic": hpr.positive_int(),
        "d_lr": hpr.positive_number(),
        "g_lr": hpr.positive_number(),
        "d_betas": hpr.betas(),
        "g_betas": hpr.betas(),
        "update": hpr.one_of(*UPDATE_MODES),
    }
    rules: ClassVar[dict[str, hpr.Rule]] = {}
    # True when the networks come from shared_pair (so `--hp arch=` applies); a variant that
    # builds networks of its own sets False and refuses any arch but "default".
    shared_nets: ClassVar[bool] = True
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
    # The classifier extra_metrics may use (x, data, device) -> classes | None, injected by the
    # harness (ganbench.metrics.oracle), so variants never import metrics; None: label metrics are NaN.
    oracle: Any = None

    @classmethod
    def known_hparams(cls, kind: str) -> dict[str, Any]:
        """Every settable hyper-parameter with its default for data of `kind`."""
        return {**cls.common_defaults, **cls.defaults, **cls.kind_defaults.get(kind, {})}

    @classmethod
    def hp_rules(cls) -> dict[str, hpr.Rule]:
        from ganbench.nets.archs import arch_names

        return {**cls.common_rules, "arch": hpr.one_of(*arch_names()), **cls.rules}

    @classmethod
    def check_hparams(cls, kind: str, hp: dict[str, Any]) -> None:
        """Every override known, of its type and in range, and consistent with the variant and
        the data kind: checked when a suite is planned, before anything runs (a
        HyperParameterError names the key and what it takes)."""
        known = cls.known_hparams(kind)
        hpr.check_hp(cls.name, known, hp, cls.hp_rules())
        merged = {**known, **hp}
        arch = merged.get("arch", "default")
        if arch != "default":
            from ganbench.nets.archs import ARCHS

            if not cls.shared_nets:
                raise hpr.HyperParameterError(
                    f"variant {cls.name!r} builds networks of its own, so --hp arch={arch} does "
                    "not apply to it; leave arch at 'default'"
                )
            if ARCHS[arch].kind != kind:
                raise hpr.HyperParameterError(
                    f"variant {cls.name!r}: arch {arch!r} is built for {ARCHS[arch].kind} data, "
                    f"not {kind} data; use arch=default"
                )
        if merged.get("update") == "simultaneous":
            n_critic = merged.get("n_critic") or cls.n_critic
            if n_critic != 1 or cls.updates is not Variant.updates:
                raise hpr.HyperParameterError(
                    f"variant {cls.name!r}: update=simultaneous steps one critic and one "
                    f"generator together; it needs n_critic 1 (has {n_critic}) and the "
                    "two-player step"
                )

    def __init__(self, spec: DataSpec, **overrides: Any) -> None:
        self.check_hparams(spec.kind, overrides)
        known = self.known_hparams(spec.kind)
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
        return self.shared_pair(spec)

    def shared_pair(self, spec: DataSpec, d_norm: str = "batch") -> tuple[nn.Module, nn.Module]:
        """The shared (G, D) pair for the data (ganbench.nets.default_pair), or the networks
        named by the `arch` hyper-parameter (ganbench.nets.archs)."""
        from ganbench.nets import default_pair
        from ganbench.nets.archs import named_pair

        arch = self.hp.get("arch", "default")
        if arch == "default":
            return default_pair(spec, self.latent_dim, d_norm=d_norm)
        return named_pair(arch, self.latent_dim, spec.shape[0], spec.shape[0])

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
        """Columns only this variant has meaning for (AC-GAN's label accuracy, SGAN's label
        count, ...), computed after training. What a typed head gives (classifier accuracy,
        reconstruction error) is scored by ganbench.metrics.heads instead."""
        return {}

    # --- the step, as players and updates ------------------------------------------------------
    def players(self) -> dict[str, tuple[Iterable[nn.Parameter], OptimSpec]]:
        """Named parameter groups, each with the optimizer the harness builds for it."""
        return {"D": (self.d_parameters(), self.d_optim), "G": (self.g_parameters(), self.g_optim)}

    def updates(self) -> list[Update | Joint]:
        """The two-player step: n_critic critic updates, then one generator update; or, with
        update=simultaneous, both losses from one batch and noise, stepped together."""
        if self.hp.get("update") == "simultaneous":
            return [Joint(self.joint_step, (("D", "d_loss"), ("G", "g_loss")))]
        return [
            Update("D", self.d_step, repeat=self.n_critic, log="d_loss"),
            Update("G", self.g_step, log="g_loss"),
        ]

    def after_update(self, player: str) -> None:
        if player == "D":
            self.after_d_step()

    def d_step(self, ctx: StepContext) -> torch.Tensor:
        """One critic update's loss: a fresh real batch and fresh noise of its size."""
        real, y = ctx.stream.next()
        z = self.noise(real.shape[0], ctx.device, ctx.generator)
        return self.d_loss(real, z, y if self.conditional else None)

    def g_step(self, ctx: StepContext) -> torch.Tensor:
        """The generator update's loss: fresh noise and, when conditional, uniform labels."""
        n = ctx.batch_size
        z = self.noise(n, ctx.device, ctx.generator)
        y = (
            torch.randint(self.spec.num_classes, (n,), device=ctx.device, generator=ctx.generator)
            if self.conditional
            else None
        )
        return self.g_loss(z, y)

    def joint_step(self, ctx: StepContext) -> dict[str, torch.Tensor]:
        """The simultaneous update's losses: one real batch, one noise draw of its size (a
        conditional G is given the batch's own labels)."""
        real, y = ctx.stream.next()
        z = self.noise(real.shape[0], ctx.device, ctx.generator)
        d, g = self.pair_losses(real, z, y if self.conditional else None)
        return {"D": d, "G": g}

    def pair_losses(
        self, real: torch.Tensor, z: torch.Tensor, labels: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(d_loss, g_loss) at the same parameters. This form runs G twice; a variant whose
        losses share one pass overrides it (DCGAN: one G(z), D's and G's loss from one D(G(z)))."""
        return self.d_loss(real, z, labels), self.g_loss(z, labels)

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

    # Optional typed heads (ganbench.metrics.heads scores them): a variant has the ones it
    # overrides. classify: x -> logits (N, K), K = the data's classes (SGAN, AC-GAN's D).
    # encode: x -> z that the generator maps back, generate(encode(x)) ~ x (BiGAN, AAE, VAE-GAN).
    TYPED_HEADS: ClassVar[tuple[str, ...]] = ("classify", "encode")

    def classify(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError(f"{self.name} has no classify head")

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError(f"{self.name} has no encode head")

    @classmethod
    def heads(cls) -> tuple[str, ...]:
        """The typed heads this variant has: those its class overrides."""
        return tuple(h for h in cls.TYPED_HEADS if getattr(cls, h) is not getattr(Variant, h))

    def head_fns(self) -> dict[str, Callable[[torch.Tensor], torch.Tensor]]:
        """Each typed head as a callable in eval mode without grad, for the evaluator (which sees
        callables, never variants); `generate` (z -> x) comes with `encode`, to reconstruct."""
        fns = {h: getattr(self, h) for h in self.heads()}
        if "encode" in fns:
            fns["generate"] = self.generate
        return {h: (lambda x, fn=fn: self.heads_eval(fn, x)) for h, fn in fns.items()}

    @torch.no_grad()
    def heads_eval(self, fn, *args: torch.Tensor) -> torch.Tensor:
        """Call a head with every net in eval mode, restoring the modes after."""
        nets = self.modules()
        modes = {k: m.training for k, m in nets.items()}
        for m in nets.values():
            m.eval()
        try:
            return fn(*args)
        finally:
            for k, m in nets.items():
                m.train(modes[k])

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


class Translator(Variant):
    """Source -> target variants (pix2pix, CycleGAN, ...). Subclasses set `defaults`, build their
    named nets, declare `players()` and `updates()` and write each loss as a method of
    (ctx: StepContext) reading `ctx.stream.next()` (a ganbench.data.streams.Pair).

    Heads the evaluators call: `translate(a, mask)` (source -> target; inpainting variants return
    the completed image) and, for two-way variants, `translate_back(b)` (target -> source), each
    called through `heads_eval` (every net in `nets` in eval mode).
    """

    common_defaults: ClassVar[dict[str, Any]] = {}
    common_rules: ClassVar[dict[str, hpr.Rule]] = {
        "lr": hpr.positive_number(),
        "betas": hpr.betas(),
    }
    shared_nets: ClassVar[bool] = False
    two_way: ClassVar[bool] = False

    def __init__(self, spec: DataSpec, **overrides: Any) -> None:
        if spec.task != "translation":
            raise ValueError(
                f"{self.name} translates images; {spec.name!r} is not a translation set"
            )
        self.check_hparams(spec.kind, overrides)
        known = self.known_hparams(spec.kind)
        self.spec = spec
        self.hp = {**known, **overrides}
        self.logs = {}
        self.nets: dict[str, nn.Module] = self.build_nets(spec)

    def __getattr__(self, name: str) -> Any:  # nets by name: self.G_AB, self.D_B, ...
        nets = self.__dict__.get("nets", {})
        if name in nets:
            return nets[name]
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    def build_nets(self, spec: DataSpec) -> dict[str, nn.Module]:
        raise NotImplementedError

    def same_size_channels(self, spec: DataSpec) -> tuple[int, int]:
        """(source channels, target channels) of a task whose images have one height and width
        (the image-to-image nets map pixel to pixel); a ValueError names the variant otherwise."""
        if tuple(spec.source_shape[1:]) != tuple(spec.shape[1:]):
            raise ValueError(f"{self.name} translates between images of one size")
        return spec.source_shape[0], spec.shape[0]

    def modules(self) -> dict[str, nn.Module]:
        return self.nets

    def players(self) -> dict[str, tuple[Iterable[nn.Parameter], OptimSpec]]:
        raise NotImplementedError

    def adam(self) -> OptimSpec:
        """Adam with the `lr` and `betas` hyper-parameters (the zoo's optimizer for every net)."""
        return OptimSpec("adam", lr=float(self.hp["lr"]), betas=tuple(self.hp["betas"]))

    def updates(self) -> list[Update]:
        raise NotImplementedError

    def after_update(self, player: str) -> None:
        """Hook after each update of `player`."""

    def translate(self, a: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        raise NotImplementedError

    def translate_back(self, b: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError(f"{self.name} translates one way only")
