"""Budgets, evaluation sizes and presets: plain values, overridable from the command line."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ganbench.core.errors import BudgetError, UnknownNameError


@dataclass(frozen=True)
class Budget:
    """How much training a run gets: generator steps at a batch size, optionally capped in time."""

    steps: int
    batch_size: int
    max_seconds: float | None = None  # recorded in the row when it bites

    def validate(self) -> Budget:
        if not isinstance(self.steps, int) or self.steps < 1:
            raise BudgetError(
                f"impossible budget: steps={self.steps}; give --steps a positive integer"
            )
        if not isinstance(self.batch_size, int) or self.batch_size < 2:
            raise BudgetError(
                f"impossible budget: batch_size={self.batch_size}; give --batch-size an integer >= 2"
            )
        if self.max_seconds is not None and not self.max_seconds > 0:
            raise BudgetError(
                f"impossible budget: max_seconds={self.max_seconds}; give --max-seconds a positive number"
            )
        return self


@dataclass(frozen=True)
class EvalSizes:
    """How many samples each metric uses. Recorded in every row as n_gen / n_real."""

    n_points: int = 2500  # VEEGAN / PacGAN: 2,500 generated samples per 2-D evaluation
    n_gen_image: int = 2000  # generated images for FID/KID/IS/PRDC/memorization
    n_real_image: int | None = None  # None: the whole held-out split
    n_modes_image: int = 2000  # generated images for classifier mode coverage
    msssim_pairs: int = 100  # AC-GAN: 100 random pairs
    kid_subset_size: int = 1000
    n_pairs: int | None = None  # translation: held-out pairs scored; None: n_gen_image


@dataclass(frozen=True)
class Preset:
    name: str
    budgets: dict[str, Budget]  # by data kind: "points" (2-D mixtures), "image", "translation"
    eval: EvalSizes = field(default_factory=EvalSizes)
    log_every: int = 50  # steps between host syncs of the loss history
    # What `run` trains on when no --dataset is given; None: every default dataset.
    datasets: tuple[str, ...] | None = None
    # True: without --dataset, each variant trains on the first of `datasets` it supports only.
    first_dataset_only: bool = False
    # The shared image conv pair's width under this preset (None: nets.conv.DEFAULT_WIDTH, the
    # zoo's 64). The CPU presets use 32: a step costs a third (0.13 s against 0.37 s, batch 64,
    # one thread) and, measured at 500 steps, no audited variant ranks differently (issue 23,
    # docs/variants.md). `--hp width=` overrides it; the row's hp_effective says which ran.
    image_width: int | None = None

    def budget_for(self, kind: str) -> Budget:
        return self.budgets[kind]


PRESETS: dict[str, Preset] = {
    # Seconds per run: for tests and CI.
    "smoke": Preset(
        "smoke",
        {"points": Budget(40, 64), "image": Budget(6, 16), "translation": Budget(4, 8)},
        EvalSizes(
            n_points=2500,
            n_gen_image=200,
            n_real_image=200,
            n_modes_image=200,
            msssim_pairs=20,
            kid_subset_size=100,
        ),
        log_every=10,
        image_width=32,
    ),
    # The whole zoo within 15 minutes on a 2-core CPU (two runs side by side), each variant on the
    # first dataset it supports: ring8 for all that take points, mnist for the image-only ones. The
    # most steps that fit 15 minutes here (docs/budgets.md): enough for every GAN to cover the
    # ring's modes, not for its precision to settle, so most rows say `converged` false. Converged
    # runs need a GPU (standard), or `--steps` and the time it takes.
    "quick": Preset(
        "quick",
        # Translation: 80 steps, 300 scored pairs, so that the nine translators fit beside the
        # zoo (measured: 300 steps and 1,000 pairs took ten minutes; docs/budgets.md).
        {"points": Budget(1000, 256), "image": Budget(500, 64), "translation": Budget(80, 32)},
        EvalSizes(
            n_points=2500,
            n_gen_image=1000,
            n_real_image=1000,
            n_modes_image=1000,
            msssim_pairs=100,
            kid_subset_size=500,
            n_pairs=300,
        ),
        log_every=50,
        datasets=("ring8", "mnist"),
        first_dataset_only=True,
        image_width=32,
    ),
    # GPU budget used for published leaderboards; sample counts follow the papers where data allow.
    "standard": Preset(
        "standard",
        {
            "points": Budget(20000, 256),
            "image": Budget(10000, 64),
            "translation": Budget(10000, 32),
        },
        EvalSizes(
            n_points=2500,
            n_gen_image=10000,
            n_real_image=None,
            n_modes_image=26000,
            msssim_pairs=1000,
            kid_subset_size=1000,
        ),
        log_every=100,
    ),
}


def get_preset(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise UnknownNameError(
            f"unknown preset {name!r}; choose one of: {', '.join(PRESETS)}"
        ) from None


def override_budget(
    budget: Budget,
    steps: int | None = None,
    batch_size: int | None = None,
    max_seconds: float | None = None,
) -> Budget:
    """Apply command-line overrides to a preset budget and validate the result."""
    changes = {
        k: v
        for k, v in {"steps": steps, "batch_size": batch_size, "max_seconds": max_seconds}.items()
        if v is not None
    }
    return replace(budget, **changes).validate()
