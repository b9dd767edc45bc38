"""The variant contract. Every registered variant is a `Model`: it builds named networks for a
DataSpec, declares its players (which nets each optimizer owns) and its ordered updates
(ganbench.variants.updates: callables, one loss per player, or a Joint update), and says what each
loss is. The harness (ganbench.harness.train) owns the loop, optimizers, seeding, device and
budget, and three mechanisms a variant only declares:

- an EMA copy of nets (`ema_nets`, hyper-parameters ema_half_life in images and ema_rampup):
  evaluation, samples and curves use the averaged nets when it is on;
- lazy regularisation: an Update with `lazy=True` runs every k steps with its loss scaled by k,
  and its player's optimizer gets the StyleGAN2 correction (lr and betas to the power k/(k+1));
- phases that change with the step (`schedule()`, handed to `on_phase`): ProGAN's resolution and
  fade-in, a function of the step alone, so a resumed run is where an uninterrupted one would be.

`Variant` is the noise -> sample case with the two-loss sugar (d_loss / g_loss, the classic
zoo); `Translator` is the source -> target case with any number of players.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import torch
from torch import nn

from ganbench.core import hparams as hpr
from ganbench.core.heads import Heads
from ganbench.data.base import Dataset, DataSpec
from ganbench.variants.schedule import Phase, Schedule
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

    def lazy(self, every: int) -> OptimSpec:
        """The optimizer of a player one of whose losses runs every `every` steps (StyleGAN2,
        Karras et al. 2020, appendix B): lr x c and each beta to the power c, c = k / (k + 1)."""
        c = every / (every + 1)
        return replace(self, lr=self.lr * c, betas=(self.betas[0] ** c, self.betas[1] ** c))


@dataclass(frozen=True)
class Player:
    """An optimizer and the named nets whose parameters it steps (shared ones once)."""

    nets: tuple[str, ...]
    optim: OptimSpec


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


def conv_width(spec: DataSpec) -> int | None:
    """The shared conv pair's default width on images (ganbench.nets.conv.DEFAULT_WIDTH, the
    zoo's channels; issue 23); None on 2-D points, whose MLPs have their own."""
    if spec.kind == "points":
        return None
    from ganbench.nets.conv import DEFAULT_WIDTH

    return DEFAULT_WIDTH


class Model:
    """What every variant is. Subclasses set `defaults` (their paper's hyper-parameters), build
    their nets (`build_nets`), and declare `players()` and `updates()`.

    `kind_defaults` overrides `defaults` per data kind ("points" / "image") where the authors'
    own code uses other settings for that kind of data (each entry cites its source)."""

    name: ClassVar[str] = ""
    defaults: ClassVar[dict[str, Any]] = {}
    kind_defaults: ClassVar[dict[str, dict[str, Any]]] = {}
    common_defaults: ClassVar[dict[str, Any]] = {}
    # What values a hyper-parameter takes where its default does not say (ganbench.core.hparams);
    # a subclass adds its own in `rules`.
    common_rules: ClassVar[dict[str, hpr.Rule]] = {}
    rules: ClassVar[dict[str, hpr.Rule]] = {}
    # True when the networks come from Variant.shared_pair (so `--hp arch=` applies)
    shared_nets: ClassVar[bool] = False
    # The nets the harness keeps an exponential moving average of when ema_half_life > 0
    ema_nets: ClassVar[tuple[str, ...]] = ()
    conditional: ClassVar[bool] = False  # set by @register: the variant trains on labels
    # Whether G itself is told the label. On the mixtures the label is the mode index, so a
    # label-conditioned G is handed mode coverage; rows say so (`generator_conditioned`). SGAN's
    # labels reach only its classifier-discriminator.
    generator_uses_labels: ClassVar[bool | None] = None  # None: the same as `conditional`
    # The classifier extra_metrics may use (x, data, device) -> classes | None, injected by the
    # harness (ganbench.metrics.oracle), so variants never import metrics; None: label metrics
    # are NaN.
    oracle: Any = None

    @classmethod
    def generator_conditioned(cls) -> bool:
        return cls.conditional if cls.generator_uses_labels is None else cls.generator_uses_labels

    @classmethod
    def known_hparams(cls, kind: str) -> dict[str, Any]:
        """Every settable hyper-parameter with its default for data of `kind`."""
        return {**cls.common_defaults, **cls.defaults, **cls.kind_defaults.get(kind, {})}

    @classmethod
    def hp_rules(cls) -> dict[str, hpr.Rule]:
        return {**cls.common_rules, **cls.rules}

    @classmethod
    def check_hparams(cls, kind: str, hp: dict[str, Any]) -> None:
        """Every override known, of its type and in range, and consistent with the variant and
        the data kind: checked when a suite is planned, before anything runs (a
        HyperParameterError names the key and what it takes)."""
        hpr.check_hp(cls.name, cls.known_hparams(kind), hp, cls.hp_rules())

    @classmethod
    def data_problem(cls, spec: DataSpec) -> str:
        """Why the variant cannot train on data of `spec` beyond what its registered capabilities
        say (a resolution its architecture cannot build), or "" when it can. `run` refuses an
        explicitly asked dataset with this message and skips it otherwise."""
        return ""

    def __init__(self, spec: DataSpec, **overrides: Any) -> None:
        self.check_hparams(spec.kind, overrides)
        problem = self.data_problem(spec)
        if problem:
            raise ValueError(problem)
        self.spec = spec
        self.hp: dict[str, Any] = {**self.known_hparams(spec.kind), **overrides}
        self.logs: dict[str, torch.Tensor] = {}
        self.averaged: dict[str, nn.Module] = {}  # EMA copies, kept by the harness
        self.setup()
        built = dict(self.build_nets(spec))
        self.net_names: tuple[str, ...] = tuple(built)
        for key, net in built.items():  # nets by name: self.G, self.D_A, ...
            setattr(self, key, net)
        self.hp.update(self.resolved_hp())

    # --- what subclasses define -------------------------------------------------------------
    def setup(self) -> None:
        """Settings the nets are built with, resolved from the hyper-parameters."""

    def resolved_hp(self) -> dict[str, Any]:
        """Hyper-parameters whose value was resolved by setup / build (for `hp_effective`)."""
        return {}

    def build_nets(self, spec: DataSpec) -> dict[str, nn.Module]:
        raise NotImplementedError

    def players(self) -> dict[str, Player]:
        raise NotImplementedError

    def updates(self) -> list[Update | Joint]:
        raise NotImplementedError

    def after_update(self, player: str) -> None:
        """Hook after each update of `player` (WGAN's weight clipping)."""

    def schedule(self) -> Schedule | None:
        """Phases that change with the step (ProGAN), or None."""
        return None

    def on_phase(self, phase: Phase) -> None:
        """Called by the harness before every step with that step's phase."""

    def extra_state(self) -> dict[str, Any]:
        """State outside the nets that a resumed run needs (BEGAN's k), saved with the run."""
        return {}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        if state:
            raise ValueError(f"{self.name} keeps no extra state, got {sorted(state)}")

    def extra_metrics(
        self, data: Dataset, device: torch.device, generator: torch.Generator
    ) -> dict[str, float]:
        """Columns only this variant has meaning for (AC-GAN's label accuracy, SGAN's label
        count, ...), computed after training. What a typed head gives (classifier accuracy,
        reconstruction error) is scored by ganbench.metrics.heads instead."""
        return {}

    # --- shared behaviour ---------------------------------------------------------------------
    @property
    def nets(self) -> dict[str, nn.Module]:
        """Every network by name (the attributes self.G, self.D_A, ...), in build order."""
        return {k: getattr(self, k) for k in self.net_names}

    def modules(self) -> dict[str, nn.Module]:
        """Every network by name, for checkpoints and device moves."""
        return self.nets

    def to(self, device: torch.device | str) -> Model:
        for m in [*self.nets.values(), *self.averaged.values()]:
            m.to(device)
        return self

    def parameters_of(self, player: str) -> list[nn.Parameter]:
        """The parameters `player` steps: those of its nets, each once, in order."""
        seen: set[int] = set()
        params = []
        for net in self.players()[player].nets:
            for p in self.nets[net].parameters():
                if id(p) not in seen:
                    seen.add(id(p))
                    params.append(p)
        return params

    @contextmanager
    def using(self, nets: dict[str, nn.Module]) -> Iterator[None]:
        """These nets in place of the trained ones by the same names (the EMA copies), for as long
        as the block runs."""
        saved = {k: getattr(self, k) for k in nets}
        for key, net in nets.items():
            setattr(self, key, net)
        try:
            yield
        finally:
            for key, net in saved.items():
                setattr(self, key, net)

    # --- typed heads --------------------------------------------------------------------------
    # A variant has the optional heads its class overrides. classify: x -> logits (N, K), K the
    # data's classes (SGAN, AC-GAN's D). encode: x -> z that the generator maps back (BiGAN, AAE,
    # VAE-GAN).
    TYPED_HEADS: ClassVar[tuple[str, ...]] = ("classify", "encode")

    def classify(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError(f"{self.name} has no classify head")

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError(f"{self.name} has no encode head")

    @classmethod
    def heads(cls) -> tuple[str, ...]:
        """The optional typed heads this variant has: those its class overrides."""
        return tuple(h for h in cls.TYPED_HEADS if getattr(cls, h) is not getattr(Model, h))

    @torch.no_grad()
    def heads_eval(self, fn: Callable[..., torch.Tensor], *args: Any) -> torch.Tensor:
        """Call a head with the evaluated nets (the EMA copies where kept) in eval mode,
        restoring the modes after."""
        with self.using(self.averaged):
            nets = self.modules()
            modes = {k: m.training for k, m in nets.items()}
            for m in nets.values():
                m.eval()
            try:
                return fn(*args)
            finally:
                for k, m in nets.items():
                    m.train(modes[k])

    def head_fns(self) -> dict[str, Callable[[torch.Tensor], torch.Tensor]]:
        """The optional heads as callables for ganbench.metrics.heads (see Heads.typed)."""
        return self.typed_heads(torch.device("cpu"), None).typed()

    def typed_heads(self, device: torch.device, generator: torch.Generator | None) -> Heads:
        """The adapter every evaluator calls (ganbench.core.heads)."""
        fns = {h: getattr(self, h) for h in self.heads()}
        wrapped = {h: (lambda x, fn=fn: self.heads_eval(fn, x)) for h, fn in fns.items()}
        return Heads(**wrapped)


class Variant(Model):
    """The noise -> sample case. Subclasses set `defaults` and the two losses:

    d_loss(real, z, labels) -> scalar loss for the discriminator / critic
    g_loss(z, labels)       -> scalar loss for the generator
    Extra per-step scalars to log (e.g. BEGAN's convergence measure) go in `self.logs`.
    `build(spec)` returns (G, D), or a dict of named nets with "G" and "D" (an encoder "E"...);
    `g_nets` names the nets the generator's optimizer steps.
    """

    # Shared by every generation variant. None means "what the data call for" (latent_dim, see
    # latent_size) or "the class's own setting" (n_critic, and lr / betas of d_optim and g_optim).
    # arch: the named networks of ganbench.nets.archs for variants on the shared pair;
    # update: "alternating" (critic steps, then a generator step on fresh noise) or
    # "simultaneous" (both gradients from one batch and one generator pass, stepped together);
    # ema_half_life: the half-life of the generator's moving average in images (0: none),
    # ema_rampup: the half-life at most this fraction of the images seen so far (None: no ramp);
    # width: the shared conv pair's width on images (None: ganbench.nets.conv.DEFAULT_WIDTH; the
    # 2-D MLPs keep their own 128); d_dropout: the conv discriminator's dropout after each block
    # (None: the variant's `d_dropout`, else ganbench.nets.conv.DROPOUT, the zoo's 0.25).
    common_defaults: ClassVar[dict[str, Any]] = {
        "latent_dim": None,
        "n_critic": None,
        "d_lr": None,
        "g_lr": None,
        "d_betas": None,
        "g_betas": None,
        "arch": "default",
        "update": "alternating",
        "ema_half_life": 0,
        "ema_rampup": None,
        "width": None,
        "d_dropout": None,
    }
    common_rules: ClassVar[dict[str, hpr.Rule]] = {
        "latent_dim": hpr.positive_int(),
        "n_critic": hpr.positive_int(),
        "d_lr": hpr.positive_number(),
        "g_lr": hpr.positive_number(),
        "d_betas": hpr.betas(),
        "g_betas": hpr.betas(),
        "update": hpr.one_of(*UPDATE_MODES),
        "ema_half_life": hpr.non_negative_number(),
        "ema_rampup": hpr.optional(hpr.fraction()),
        "width": hpr.optional(hpr.positive_int()),
        "d_dropout": hpr.optional(hpr.dropout_rate()),
    }
    shared_nets: ClassVar[bool] = True
    d_dropout: ClassVar[float | None] = None  # the conv D's dropout (None: nets.conv.DROPOUT)
    d_init: ClassVar[str] = "dcgan"  # the conv D's initialisation: "dcgan" N(0, 0.02) | "default"
    ema_nets: ClassVar[tuple[str, ...]] = ("G",)
    g_nets: ClassVar[tuple[str, ...]] = ("G",)
    n_critic: int = 1
    d_optim: OptimSpec = OptimSpec()
    g_optim: OptimSpec = OptimSpec()

    @classmethod
    def hp_rules(cls) -> dict[str, hpr.Rule]:
        from ganbench.nets.archs import arch_names

        return {**cls.common_rules, "arch": hpr.one_of(*arch_names()), **cls.rules}

    @classmethod
    def check_hparams(cls, kind: str, hp: dict[str, Any]) -> None:
        super().check_hparams(kind, hp)
        merged = {**cls.known_hparams(kind), **hp}
        own_width = cls.known_hparams(kind).get("width") is not None  # a variant's own nets
        if kind == "points" and hp.get("width") is not None and not own_width:
            raise hpr.HyperParameterError(
                f"variant {cls.name!r}: width is the image conv pair's; the 2-D networks are "
                "fixed (use --hp arch= for other 2-D networks)"
            )
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

    def setup(self) -> None:
        self.latent_dim: int = self.hp["latent_dim"] or latent_size(self.spec)
        self.width: int | None = self.hp.get("width") or conv_width(self.spec)
        if self.hp["n_critic"] is not None:
            self.n_critic = int(self.hp["n_critic"])
        self.d_optim = _with(type(self).d_optim, self.hp["d_lr"], self.hp["d_betas"])
        self.g_optim = _with(type(self).g_optim, self.hp["g_lr"], self.hp["g_betas"])

    def uses_width(self) -> bool:
        """Whether the built networks take the run's `width` (False for fixed-size networks: the
        row then records width None)."""
        return True

    def resolved_hp(self) -> dict[str, Any]:
        # What the run really used, for the row's `hp_effective`: the Nones resolved (after
        # build, which may set latent_dim).
        return {
            "latent_dim": self.latent_dim,
            "n_critic": self.n_critic,
            "d_lr": self.d_optim.lr,
            "g_lr": self.g_optim.lr,
            "d_betas": self.d_optim.betas,
            "g_betas": self.g_optim.betas,
            "width": self.width if self.uses_width() else None,
            # the shared conv D's dropout, only where that D was built (own nets: None)
            "d_dropout": self._d_dropout() if getattr(self, "_shared_conv_d", False) else None,
        }

    # --- what subclasses define -------------------------------------------------------------
    def build_nets(self, spec: DataSpec) -> dict[str, nn.Module]:
        built = self.build(spec)
        return built if isinstance(built, dict) else {"G": built[0], "D": built[1]}

    def build(self, spec: DataSpec) -> tuple[nn.Module, nn.Module] | dict[str, nn.Module]:
        return self.shared_pair(spec)

    def _d_dropout(self) -> float | None:
        """The conv discriminator's dropout on images (None on 2-D points: the MLPs have none)."""
        if self.spec.kind == "points":
            return None
        from ganbench.nets.conv import DROPOUT

        chosen = self.hp.get("d_dropout")
        chosen = type(self).d_dropout if chosen is None else chosen
        return DROPOUT if chosen is None else chosen

    def shared_pair(self, spec: DataSpec, d_norm: str = "batch") -> tuple[nn.Module, nn.Module]:
        """The shared (G, D) pair for the data (ganbench.nets.default_pair), or the networks
        named by the `arch` hyper-parameter (ganbench.nets.archs)."""
        from ganbench.nets import default_pair
        from ganbench.nets.archs import named_pair

        arch = self.hp.get("arch", "default")
        if arch == "default":
            self._shared_conv_d = spec.kind != "points"
            dropout, init = self._d_dropout(), type(self).d_init
            return default_pair(spec, self.latent_dim, d_norm, self.width, dropout, init)
        return named_pair(arch, self.latent_dim, spec.shape[0], spec.shape[0])

    def d_loss(
        self, real: torch.Tensor, z: torch.Tensor, labels: torch.Tensor | None
    ) -> torch.Tensor:
        raise NotImplementedError

    def g_loss(self, z: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        raise NotImplementedError

    def after_d_step(self) -> None:
        """Hook after each critic update (WGAN's weight clipping)."""

    # --- the step, as players and updates ------------------------------------------------------
    def players(self) -> dict[str, Player]:
        return {"D": Player(("D",), self.d_optim), "G": Player(self.g_nets, self.g_optim)}

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

    def d_parameters(self) -> list[nn.Parameter]:
        return self.parameters_of("D")

    def g_parameters(self) -> list[nn.Parameter]:
        return self.parameters_of("G")

    # --- sampling -----------------------------------------------------------------------------
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
        """n samples from the evaluated generator (its EMA copy when kept), in eval mode."""
        with self.using(self.averaged):
            was_training = self.G.training
            self.G.eval()
            try:
                return self.generate(self.noise(n, device, generator), labels)
            finally:
                self.G.train(was_training)

    def typed_heads(self, device: torch.device, generator: torch.Generator | None) -> Heads:
        """generate(n): uniform labels when conditional (as every metric assumes), drawn before
        the noise from `generator`; the optional heads; decode (z -> x) beside encode."""
        n_classes = self.spec.num_classes

        def generate(n: int) -> torch.Tensor:
            labels = (
                torch.randint(n_classes, (n,), device=device, generator=generator)
                if self.conditional
                else None
            )
            return self.sample(n, device, generator, labels)

        heads = super().typed_heads(device, generator)
        decode = (lambda z: self.heads_eval(self.generate, z)) if heads.encode else None
        return replace(heads, generate=generate, decode=decode)


class Translator(Model):
    """Source -> target variants (pix2pix, CycleGAN, ...). Subclasses set `defaults`, build their
    named nets, declare `players()` and `updates()` and write each loss as a method of
    (ctx: StepContext) reading `ctx.stream.next()` (a ganbench.data.streams.Pair).

    Heads the evaluators call: `translate(a, mask)` (source -> target; inpainting variants return
    the completed image) and, for two-way variants, `translate_back(b)` (target -> source), each
    called through `heads_eval` (every net in eval mode).
    """

    common_rules: ClassVar[dict[str, hpr.Rule]] = {
        "lr": hpr.positive_number(),
        "betas": hpr.betas(),
    }
    two_way: ClassVar[bool] = False
    relations: ClassVar[tuple[str, ...]] = ()

    def __init__(self, spec: DataSpec, **overrides: Any) -> None:
        if spec.task != "translation":
            raise ValueError(
                f"{self.name} translates images; {spec.name!r} is not a translation set"
            )
        super().__init__(spec, **overrides)

    def same_size_channels(self, spec: DataSpec) -> tuple[int, int]:
        """(source channels, target channels) of a task whose images have one height and width
        (the image-to-image nets map pixel to pixel); a ValueError names the variant otherwise."""
        if tuple(spec.source_shape[1:]) != tuple(spec.shape[1:]):
            raise ValueError(f"{self.name} translates between images of one size")
        return spec.source_shape[0], spec.shape[0]

    def adam(self) -> OptimSpec:
        """Adam with the `lr` and `betas` hyper-parameters (the zoo's optimizer for every net)."""
        return OptimSpec("adam", lr=float(self.hp["lr"]), betas=tuple(self.hp["betas"]))

    def translate(self, a: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        raise NotImplementedError

    def translate_back(self, b: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError(f"{self.name} translates one way only")

    def typed_heads(self, device: torch.device, generator: torch.Generator | None) -> Heads:
        def translate(
            a: torch.Tensor, mask: torch.Tensor | None = None, z: torch.Tensor | None = None
        ) -> torch.Tensor:
            if z is not None:  # a style code: only multimodal translators take one
                return self.heads_eval(self.translate, a, mask, z)
            return self.heads_eval(self.translate, a, mask)

        back = (lambda b: self.heads_eval(self.translate_back, b)) if self.two_way else None
        return replace(super().typed_heads(device, generator), translate=translate, translate_back=back)
