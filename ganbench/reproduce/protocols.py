"""The shipped reproduction protocols. Published numbers are typed from the papers' tables
(images in the authors' repositories, cited per protocol); settings from their released code.
Every known difference between a protocol and the paper's experiment is in `differences`."""

from __future__ import annotations

from dataclasses import replace

from ganbench.core.errors import UnknownNameError
from ganbench.reproduce.protocol import MetricDef, Protocol, cell, published_table

MIXTURE_METRICS = {
    "modes": MetricDef(
        "modes",
        "modes_covered",
        1.0,
        "mixture components nearest to at least one high-quality sample (VEEGAN §5.1)",
    ),
    "hq_percent": MetricDef(
        "hq_percent",
        "hq_fraction",
        100.0,
        "percent of samples within 3σ (Euclidean) of their nearest centre",
    ),
    "reverse_kl": MetricDef(
        "reverse_kl",
        "reverse_kl",
        1.0,
        "KL(p̂ || uniform), p̂ the nearest-centre histogram of all samples (PacGAN's code leaves "
        "HQ-only vs all samples open; ganbench/metrics/modes.py)",
    ),
}

# --- pacgan-table1 ---------------------------------------------------------------------------
# PacGAN's 2-D setting [code: fjxmlzn/PacGAN synthetic_data_experiments/2DRing_GAN&PacGAN/
# config.py, pacgan_task.py]: every trial 400 epochs of 100,000 packed examples at batch 100 =
# 400,000 steps, for every pack size m; a batch is 100 packs, i.e. 100·m samples.
PACGAN_STEPS = 400_000
PACGAN_HP = {
    "arch": "pacgan-2d",
    "latent_dim": 2,
    "d_lr": 1e-4,
    "g_lr": 1e-4,
    "d_betas": (0.8, 0.999),
    "g_betas": (0.8, 0.999),
}
PACGAN_LABELS = {1: "GAN", 2: "PacGAN2", 3: "PacGAN3", 4: "PacGAN4"}

PACGAN_TABLE1_V1 = Protocol(
    name="pacgan-table1",
    version="1",
    title="PacGAN on the 2-D ring and grid: modes, high-quality samples, reverse KL",
    source="Lin et al. 2018, PacGAN (NeurIPS), Table 1 "
    "[fjxmlzn/PacGAN synthetic_data_experiments/results/Table1.png]",
    data="ring8 (8 modes, radius 1, σ 0.01) and grid25 (25 modes, {-4..4}², σ 0.05); 100,000 "
    "training points (PacGAN config.py)",
    networks="PacGAN's 2-D nets (pacgan --hp arch=pacgan-2d, ganbench/nets/pacgan_mlp.py): G 2 -> "
    "4x400 linear (no bias) + batch norm + ReLU -> 2; D 2m -> 3x200 maxout (5 pieces) -> 1; "
    "init N(0, 0.02); z ~ N(0, I₂); GAN = pack 1 with the same nets",
    optimizer="Adam lr 1e-4, β = (0.8, 0.999) for G and D; loss softplus (non-saturating G)",
    batch="100 packs per step (batch_size 100·m samples)",
    budget="400,000 steps per trial (400 epochs x 1,000 batches), every pack size",
    trials=10,
    error_bar="standard error over 10 trials",
    metrics=tuple(MIXTURE_METRICS.values()),
    cells=tuple(
        cell(PACGAN_LABELS[m], "pacgan", ds, 100 * m, PACGAN_STEPS, pack=m, **PACGAN_HP)
        for ds in ("ring8", "grid25")
        for m in (1, 2, 3, 4)
    ),
    published=published_table(
        {
            ("GAN", "ring8"): ((6.3, 0.5), (98.2, 0.2), (0.45, 0.09)),
            ("PacGAN2", "ring8"): ((7.9, 0.1), (95.6, 2.0), (0.07, 0.03)),
            ("PacGAN3", "ring8"): ((7.8, 0.1), (97.7, 0.3), (0.10, 0.02)),
            ("PacGAN4", "ring8"): ((7.8, 0.1), (95.9, 1.4), (0.07, 0.02)),
            ("GAN", "grid25"): ((17.3, 0.8), (94.8, 0.7), (0.70, 0.07)),
            ("PacGAN2", "grid25"): ((23.8, 0.7), (91.3, 0.8), (0.13, 0.04)),
            ("PacGAN3", "grid25"): ((24.6, 0.4), (94.2, 0.4), (0.06, 0.02)),
            ("PacGAN4", "grid25"): ((24.8, 0.2), (93.6, 0.6), (0.04, 0.01)),
        },
        ("modes", "hq_percent", "reverse_kl"),
    ),
    differences=(
        "Update order: the harness steps D, then G on fresh noise; PacGAN's code (ALI's "
        "ali_algorithm) takes both gradients from the same batch and steps both nets together.",
        "G's batch norm sees all 100·m generated samples of a step in one pass; PacGAN's code "
        "runs G once per packed slot (m passes of 100).",
        "The 100,000 training points are shuffled and packed afresh every epoch; PacGAN's "
        "dataset holds 100,000 fixed packs.",
        "Adam β2 0.999 is Blocks' default, which PacGAN's config leaves unset; Blocks ≥ 0.2 uses "
        "the standard β convention (β1 0.8 = PyTorch's 0.8).",
        "Reverse KL's histogram uses all samples (nearest centre); PacGAN's released logger "
        "does not compute it, so its choice is unknown.",
        "Evaluation: 2,500 samples after the last step, with batch norm's population "
        "statistics (as PacGAN's logger); the paper reports the end of training too.",
    ),
)

# Version 2 steps D and G as the authors' code does (ALI's ali_algorithm, which PacGAN's 2-D code
# runs): both gradients from one batch and one generator pass, then both nets step together.
PACGAN_TABLE1 = replace(
    PACGAN_TABLE1_V1,
    version="2",
    optimizer=PACGAN_TABLE1_V1.optimizer + "; D and G stepped simultaneously (--hp "
    "update=simultaneous): both gradients from one batch and one G pass, as ali_algorithm",
    cells=tuple(
        cell(PACGAN_LABELS[m], "pacgan", ds, 100 * m, PACGAN_STEPS, pack=m, update="simultaneous",
             **PACGAN_HP)  # fmt: skip
        for ds in ("ring8", "grid25")
        for m in (1, 2, 3, 4)
    ),
    differences=tuple(d for d in PACGAN_TABLE1_V1.differences if not d.startswith("Update order")),
    notes=(
        "Version 1 (`pacgan-table1@1`) alternated a D step and a G step on fresh noise; it is "
        "kept because leaderboards/reproductions/pacgan-table1 was made with it.",
    ),
)

# --- veegan-table1 ---------------------------------------------------------------------------
# VEEGAN's 2-D code is not released (akashgit/VEEGAN is the project page). The only released code
# for these rows is GDPP's synthetic script [code: M-Elfeki/GDPP gdppgan_Synthetic.py, `params`,
# `generator`, `discriminator`, `run_gan`], which reports them in the same form: pinned here.
VEEGAN_STEPS = 25_000  # params["max_iter"]
VEEGAN_BATCH = 512  # params["batch_size"]
GDPP_HP = {
    "arch": "gdpp-2d",  # G 2x128 tanh, D 2x128 tanh, orthogonal init (gain 1.4)
    "latent_dim": 256,  # params["z_dim"]
    "d_lr": 1e-4,  # params["disc_learning_rate"]
    "g_lr": 1e-3,  # params["gen_learning_rate"]
    "d_betas": (0.5, 0.999),  # params["beta1"]; TF's default beta2
    "g_betas": (0.5, 0.999),
}
# Each row's own algorithm on GDPP's networks and optimizer: GAN as GDPP's script steps it (one
# sess.run of both train ops: both gradients from one batch and one generator pass); Unrolled GAN
# its unrolled generator update (5 steps, VEEGAN §5); WGAN-GP its critic schedule (5 critic steps,
# the WGAN-GP authors' toy penalty weight 0.1: ganbench's 2-D default).
VEEGAN_CELLS = (
    ("GAN", "gan", {"update": "simultaneous"}),
    ("Unrolled GAN", "unrolled-gan", {"unroll_steps": 5}),
    ("WGAN-GP", "wgan-gp", {"n_critic": 5, "gp_weight": 0.1}),
)


def _settings(hp: dict) -> str:
    return " ".join(f"{k}={v}" for k, v in hp.items())


VEEGAN_TABLE1 = Protocol(
    name="veegan-table1",
    version="2",
    title="VEEGAN Table 1 (2-D ring and grid) for GAN and Unrolled GAN, with GDPP's WGAN-GP row",
    source="Srivastava et al. 2017, VEEGAN (NeurIPS), Table 1 [akashgit/VEEGAN tab.png]; "
    "WGAN-GP row: Elfeki et al. 2019, GDPP (ICML), Table 1 [M-Elfeki/GDPP Figures/Fig_2.png]; "
    "settings: M-Elfeki/GDPP gdppgan_Synthetic.py",
    data="ring8 and grid25 (VEEGAN/PacGAN parameters)",
    networks=f"GDPP's 2-D nets (--hp arch={GDPP_HP['arch']}, ganbench/nets/gdpp_mlp.py): G z "
    f"{GDPP_HP['latent_dim']} -> 2x128 tanh -> 2; D 2 -> 2x128 tanh -> 1; orthogonal init, gain "
    "1.4; every row",
    optimizer=f"Adam, D lr {GDPP_HP['d_lr']:g}, G lr {GDPP_HP['g_lr']:g}, betas "
    f"{GDPP_HP['d_betas']} (GDPP's script), every row; per row: "
    + "; ".join(f"{label}: {_settings(extra)}" for label, _, extra in VEEGAN_CELLS),
    batch=f"{VEEGAN_BATCH} (GDPP's synthetic script)",
    budget=f"{VEEGAN_STEPS:,} generator steps per trial (GDPP's synthetic script)",
    trials=5,
    error_bar="none given (VEEGAN: mean of five runs; GDPP: no error bars)",
    metrics=(MIXTURE_METRICS["modes"], MIXTURE_METRICS["hq_percent"]),
    cells=tuple(
        cell(label, variant, ds, VEEGAN_BATCH, VEEGAN_STEPS, **GDPP_HP, **extra)
        for ds in ("ring8", "grid25")
        for label, variant, extra in VEEGAN_CELLS
    ),
    published=published_table(
        {
            ("GAN", "ring8"): ((1.0, None), (99.3, None)),
            ("Unrolled GAN", "ring8"): ((7.6, None), (35.6, None)),
            ("WGAN-GP", "ring8"): ((6.8, None), (59.6, None)),
            ("GAN", "grid25"): ((3.3, None), (0.5, None)),
            ("Unrolled GAN", "grid25"): ((23.6, None), (16.0, None)),
            ("WGAN-GP", "grid25"): ((24.2, None), (28.7, None)),
        },
        ("modes", "hq_percent"),
    ),
    differences=(
        "Networks, optimizer, batch and budget are GDPP's released synthetic script's, which "
        "trains its GAN only: VEEGAN's GAN and Unrolled GAN rows came from VEEGAN's own "
        "(unreleased) code, GDPP's WGAN-GP row from GDPP's (unreleased) baseline code. The "
        "Unrolled GAN and WGAN-GP rows run their own algorithms on GDPP's settings.",
        "Data: batches from 100,000 fixed mixture points (PacGAN's config; ~128 passes per "
        "trial); GDPP's script samples the mixture afresh for every batch.",
        "Ring centres: 2πk/8, k = 0..7 (8 distinct modes); GDPP's sample_ring uses "
        "linspace(0, 2π, 8), whose first and last centres coincide (7 distinct modes).",
        "Noise: z ~ N(0, I₂₅₆) fresh every step, as GDPP's script.",
        "The published rows have no error bars (paper_err empty): the verdict uses our "
        "standard error alone.",
    ),
    notes=(
        "Version 2 pins GDPP's released settings; version 1 ran ganbench's default 2-D nets and "
        "each variant's own optimizer. Nothing published was made with version 1, so it is not "
        "kept.",
    ),
)

# --- stacked-mnist ---------------------------------------------------------------------------
# PacGAN's VEEGAN-setting Stacked-MNIST [code: fjxmlzn/PacGAN stacked_MNIST_experiments/
# VEEGAN_experiment/config.py, model.py]: 128,000 stacked images, batch 64 (packs), 50 epochs =
# 100,000 D steps (G is stepped twice per D step), Adam 2e-4 β1 0.5, z ~ U(-1, 1)^100,
# DCGAN-tensorflow nets, 26,000 samples scored with a Keras MNIST CNN, KL(p̂ || U_1000).
STACKED_STEPS = 100_000
STACKED_BATCH = 64
STACKED_METRICS = (
    MetricDef("modes", "modes_covered", 1.0, "distinct (d1, d2, d3) triplets predicted, of 1,000"),
    MetricDef("kl", "reverse_kl", 1.0, "KL(p̂ || uniform over 1,000 modes), PacGAN's direction"),
)

# R3GAN's Stacked-MNIST setting [paper: Table 9 "Stacked MNIST" column, appendix D]: 32 px,
# 10 Mimg at batch 512 (= 19,531 steps), lr 2e-4 constant, no augmentation; Table 3's rows.
R3GAN_BATCH = 512
R3GAN_STEPS = 10_000_000 // R3GAN_BATCH
R3GAN_CELLS = (
    ("R3GAN", "r3gan", {}),
    ("StyleGAN2", "stylegan2", {}),
    ("DCGAN", "dcgan", {}),
    ("WGAN-GP", "wgan-gp", {}),
    ("PacGAN", "pacgan", {"pack": 2}),
)

STACKED_MNIST = Protocol(
    name="stacked-mnist",
    version="2",
    title="Stacked-MNIST (1,000 modes): PacGAN's Table 2 (VEEGAN setting, DCGAN and PacDCGAN2) "
    "and R3GAN's Table 3 (32 px: R3GAN, StyleGAN2 and the baselines ganbench has)",
    source="Lin et al. 2018, PacGAN (NeurIPS), Table 2 "
    "[fjxmlzn/PacGAN stacked_MNIST_experiments/results/Table2.png]; Huang et al. 2024, R3GAN "
    "(NeurIPS, arXiv:2501.05441), Table 3 \"StackedMNIST 1000-mode coverage\" (§4.2), setting "
    "in its Table 9 and appendix D",
    data="stacked-mnist-full: 128,000 RGB stacks of digits from the official MNIST train split "
    "(mnist-full), 10,000 held-out stacks from the test split",
    networks="PacGAN's table: ganbench's shared DCGAN-style conv pair (pacgan, arch default; "
    "pack 1 = DCGAN); R3GAN's table: each variant's own 32 px networks at its default width "
    "(docs/variants.md)",
    optimizer="PacGAN's table: Adam 2e-4, β = (0.5, 0.999) (pacgan's defaults = PacGAN's "
    "config); R3GAN's table: each variant's paper optimizer (r3gan: Adam 2e-4, β (0, 0.9))",
    batch=f"PacGAN's table: {STACKED_BATCH} packs per step (batch_size {STACKED_BATCH}·m "
    f"images); R3GAN's table: {R3GAN_BATCH}",
    budget=f"PacGAN's table: {STACKED_STEPS:,} steps per trial (50 epochs of 128,000 / 64); "
    f"R3GAN's table: {R3GAN_STEPS:,} steps (10 Mimg at batch {R3GAN_BATCH})",
    trials=10,
    error_bar="standard error over 10 trials",
    metrics=STACKED_METRICS,
    cells=tuple(
        cell(label, "pacgan", "stacked-mnist-full", STACKED_BATCH * m, STACKED_STEPS, pack=m)
        for label, m in (("DCGAN", 1), ("PacDCGAN2", 2))
    )
    + tuple(
        cell(label, variant, "stacked-mnist32-full", R3GAN_BATCH, R3GAN_STEPS, **hp)
        for label, variant, hp in R3GAN_CELLS
    ),
    published=published_table(
        {
            ("DCGAN", "stacked-mnist-full"): ((78.9, 6.46), (4.50, 0.127)),
            ("PacDCGAN2", "stacked-mnist-full"): ((1000.0, 0.0), (0.06, 0.003)),
            # R3GAN Table 3 (no error bars; single runs, its checklist says)
            ("R3GAN", "stacked-mnist32-full"): ((1000.0, None), (0.029, None)),
            ("StyleGAN2", "stacked-mnist32-full"): ((940.0, None), (0.42, None)),
            ("DCGAN", "stacked-mnist32-full"): ((99.0, None), (3.40, None)),
            ("WGAN-GP", "stacked-mnist32-full"): ((959.0, None), (0.73, None)),
            ("PacGAN", "stacked-mnist32-full"): ((992.0, None), (0.28, None)),
        },
        ("modes", "kl"),
    ),
    differences=(
        "Networks: ganbench's shared conv pair (width 32), not DCGAN-tensorflow's (64 filters, "
        "G from a 2x2x512 projection); 'DCGAN' is PacGAN's own implementation row (their Table 2 "
        "'DCGAN (our implementation)'), i.e. pack 1 of the same code.",
        "G steps: one per D step; PacGAN's code steps G twice per D step.",
        "Noise: z ~ N(0, I₁₀₀); PacGAN's code draws U(-1, 1)^100.",
        "Data: digits from the train split only (held-out stacks from the test split); PacGAN's "
        "code pools train and test (70,000 digits) before stacking. Pixels in [-1, 1], not [0, 1].",
        "Mode classifier: ganbench's project MNIST CNN (ganbench/weights/mnist_cnn.json gives its "
        "held-out accuracy), not the Keras mnist_cnn (99.25% claimed).",
        "Evaluation: 26,000 samples (the standard preset's n_modes_image), as the paper.",
        "R3GAN's table (the stacked-mnist32-full cells): images 32 px (stacked-mnist-full "
        "padded with 2 background pixels; the classifier sees the centre 28 px); budget 10 Mimg "
        "at batch 512 (its Table 9) for every cell, where the table copied its baselines' numbers "
        "from their own papers and settings (it cites only the methods); networks: ganbench's "
        "small CPU versions (r3gan width 16, stylegan2 width 32), not the paper's 768-wide "
        "ResNeXt (Config E, 20.7M parameters per network); R3GAN's cosine ramps (γ 1 -> 0.1, "
        "β2 0.9 -> 0.99, EMA 0 -> 0.5 Mimg over a 2 Mimg burn-in) are not followed: constant "
        "γ and β2 as ganbench's r3gan; the number of evaluated samples, the classifier and the "
        "number of runs are not stated by R3GAN (one run, by its checklist): 26,000 samples and "
        "ganbench's project CNN here; PacGAN row: pack 2 (the table does not say).",
        "KL direction: R3GAN estimates KL(p_model || p_data) through the categorical mode "
        "distributions against the uniform over 1,000, as PacGAN's (metric `kl`).",
    ),
)

PROTOCOLS: dict[str, Protocol] = {p.name: p for p in (PACGAN_TABLE1, VEEGAN_TABLE1, STACKED_MNIST)}
# Earlier versions that something published depends on, by name@version.
OLDER: dict[str, Protocol] = {f"{p.name}@{p.version}": p for p in (PACGAN_TABLE1_V1,)}


def get_protocol(name: str) -> Protocol:
    """The protocol by name (its newest version), or an older version by `name@version`."""
    found = PROTOCOLS.get(name) or OLDER.get(name)
    if found is None:
        raise UnknownNameError(
            f"unknown reproduction protocol {name!r}; choose one of: "
            f"{', '.join([*PROTOCOLS, *OLDER])}"
        )
    return found


def list_protocols() -> list[Protocol]:
    return list(PROTOCOLS.values())
