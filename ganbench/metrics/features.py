"""Feature spaces for the image metrics, and where their weights come from.

Two spaces (DESIGN.md section 6):
  * `mnist-cnn` (the default, `--features auto`): the project MNIST CNN (metrics/classifier.py),
    registered in torch-fidelity's feature-extractor registry as `ganbench-mnist-cnn`. Layer
    `logits` gives IS, layer `penultimate` (128-d) gives FID, KID, PRDC and memorization. On
    `stacked-mnist` each channel is classified separately: the penultimate features of the three
    channels are concatenated (384-d) and the 1,000 logits of a triplet (d1, d2, d3) are
    l1[d1] + l2[d2] + l3[d3], i.e. the joint softmax is the product of the per-channel ones.
    Translation datasets are scored in the space of their `spec.target_domain`: `mnist` ->
    `mnist-cnn`; `mnist-inverse-thick` -> `mnist-inverse-thick-cnn`, the same architecture
    trained on that domain (classifier.DOMAINS; torch-fidelity name
    `ganbench-mnist-inverse-thick-cnn`). `--features auto` and `mnist-cnn` both pick it.
  * `inception` (`--features inception`): torch-fidelity's `inception-v3-compat`, the space papers
    report in (IS from `logits_unbiased`, the rest from `2048`). Its weights file
    weights-inception-2015-12-05-6726825d.pth is taken from, in order: --inception-weights PATH /
    GANBENCH_INCEPTION_WEIGHTS, the torch hub cache, a download (only when the network answers).
    Offline with no file it is one clear GanbenchError, raised before any training; never a
    silent substitute.

Inputs reach the extractors as torch-fidelity wants them: uint8 (N, C, H, W), images in [-1, 1]
quantised as round((x + 1) * 127.5). Every row names its space and weights hash in `features`,
e.g. "mnist-cnn@1a2b3c4d5e6f".
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import torch
import torch_fidelity
from torch_fidelity import FeatureExtractorBase
from torch_fidelity.registry import FEATURE_EXTRACTORS_REGISTRY
from torch_fidelity.utils import create_feature_extractor

from ganbench.backbones.weights import sha256_file
from ganbench.core.errors import GanbenchError
from ganbench.core.seeding import rng_untouched
from ganbench.metrics import classifier

PROJECT_EXTRACTOR = "ganbench-mnist-cnn"
INCEPTION_EXTRACTOR = "inception-v3-compat"
INCEPTION_FILE = "weights-inception-2015-12-05-6726825d.pth"
INCEPTION_URL = (
    "https://github.com/toshas/torch-fidelity/releases/download/v0.2.0/" + INCEPTION_FILE
)
INCEPTION_ENV = "GANBENCH_INCEPTION_WEIGHTS"
FEATURE_CHOICES = ("auto", "mnist-cnn", "fashion-mnist-cnn", "inception")
# The bundled datasets a project network covers, and its domain: the MNIST CNN scores the MNIST
# digit sets (28 px, and padded to 32 px) and nothing else; Fashion-MNIST has its own network.
PROJECT_DOMAINS = {
    "mnist": "mnist", "stacked-mnist": "mnist", "mnist-full": "mnist",
    "stacked-mnist-full": "mnist", "mnist32": "mnist", "stacked-mnist32": "mnist",
    "stacked-mnist32-full": "mnist", "fashion-mnist": "fashion-mnist",
}  # fmt: skip
PROJECT_DATASETS = tuple(PROJECT_DOMAINS)
PROJECT_CHOICES = {"mnist-cnn": "mnist", "fashion-mnist-cnn": "fashion-mnist"}
USER_PREFIXES = ("folder-", "npz-", "tv-", "ref-")  # ganbench.data.sources names
CHOICES_TEXT = (
    "auto | mnist-cnn | fashion-mnist-cnn | inception | MODULE:ATTR (your own nn.Module, "
    "docs/metrics.md)"
)


def project_domain(dataset_name: str) -> str | None:
    """The domain of the project network that covers a bundled dataset, or None."""
    return PROJECT_DOMAINS.get(dataset_name)


def space_name(domain: str) -> str:
    """The feature space of a domain's project network: `mnist-cnn`, `mnist-inverse-thick-cnn`."""
    return "mnist-cnn" if domain == "mnist" else f"{domain}-cnn"


def extractor_name(domain: str) -> str:
    """Its torch-fidelity registry name: `ganbench-mnist-cnn`, `ganbench-mnist-inverse-thick-cnn`."""
    return f"ganbench-{space_name(domain)}"


class MnistCNNExtractor(FeatureExtractorBase):
    """torch-fidelity wrapper of the project CNN: uint8 (N, 1|3, 28, 28) -> penultimate, logits.
    One subclass per domain is registered below; `domain` picks its hash-checked weights."""

    domain = "mnist"

    def __init__(self, name, features_list, feature_extractor_weights_path=None, **kwargs):
        super().__init__(name, features_list)
        with rng_untouched():  # loading a cold feature cache must not move the global RNG
            self.net = classifier.MnistCNN()
        state = (  # an explicit weights path is the caller's file, loaded as given
            torch.load(feature_extractor_weights_path, map_location="cpu", weights_only=True)
            if feature_extractor_weights_path
            else classifier.load_state_verified(domain=self.domain)
        )
        self.net.load_state_dict(state)
        self.net.eval().requires_grad_(False)

    @staticmethod
    def get_provided_features_list():
        return "penultimate", "logits"

    @staticmethod
    def get_default_feature_layer_for_metric(metric):
        return {"isc": "logits", "fid": "penultimate", "kid": "penultimate", "prc": "penultimate"}[
            metric
        ]

    @staticmethod
    def can_be_compiled():
        return False

    @staticmethod
    def get_dummy_input_for_compile():
        return torch.zeros(1, 1, 28, 28, dtype=torch.uint8)

    def forward(self, x):
        x = classifier.to_digit_size(x)  # the padded 32 px sets: the centre 28 px
        if (
            x.dtype != torch.uint8
            or x.ndim != 4
            or tuple(x.shape[2:]) != (28, 28)
            or x.shape[1] not in (1, 3)
        ):
            raise ValueError(
                f"{self.name} expects uint8 (N, 1|3, 28, 28) images, got {x.dtype} {tuple(x.shape)}"
            )
        n, c = x.shape[:2]
        x = x.float().reshape(n * c, 1, 28, 28) / 127.5 - 1.0
        feats, logits = self.net.features_and_logits(x)
        feats = feats.reshape(n, c * feats.shape[1])
        logits = logits.reshape(n, c, 10)
        if c == 3:  # joint logits of the 1,000 triplets: mode = 100 d1 + 10 d2 + d3
            logits = (
                logits[:, 0, :, None, None]
                + logits[:, 1, None, :, None]
                + logits[:, 2, None, None, :]
            ).reshape(n, 1000)
        else:
            logits = logits[:, 0]
        out = {"penultimate": feats, "logits": logits}
        return tuple(out[f] for f in self.features_list)


def _register_domain_extractors() -> None:
    for domain in classifier.DOMAINS:
        name = extractor_name(domain)
        if name in FEATURE_EXTRACTORS_REGISTRY:
            continue
        cls = MnistCNNExtractor
        if domain != "mnist":
            cls_name = f"MnistCNNExtractor_{domain.replace('-', '_')}"
            cls = type(cls_name, (MnistCNNExtractor,), {"domain": domain})
        torch_fidelity.register_feature_extractor(name, cls)


_register_domain_extractors()


# --- Inception weights -------------------------------------------------------------------------


def inception_hub_path() -> Path:
    return Path(torch.hub.get_dir()) / "checkpoints" / INCEPTION_FILE


def _online(host: str = "github.com", timeout: float = 3.0) -> bool:
    """Whether `host` answers on 443 within `timeout` seconds (name lookup included, so an offline
    machine whose resolver hangs never blocks a run). GANBENCH_OFFLINE=1 skips the probe."""
    if os.environ.get("GANBENCH_OFFLINE") == "1":
        return False
    result: list[bool] = []

    def probe() -> None:
        try:
            socket.create_connection((host, 443), timeout=timeout).close()
            result.append(True)
        except OSError:
            result.append(False)

    t = threading.Thread(target=probe, daemon=True)
    t.start()
    t.join(timeout + 0.5)
    return bool(result and result[0])


def inception_missing_message(looked: list[str]) -> str:
    return (
        f"--features inception needs the Inception-v3 weights file {INCEPTION_FILE}, which was not "
        f"found ({'; '.join(looked)}) and cannot be downloaded (no network). Fetch it on a machine "
        f"with network from {INCEPTION_URL} and put it at {inception_hub_path()}, or pass "
        f"--inception-weights PATH (or set {INCEPTION_ENV}=PATH). Offline alternative: "
        "--features auto (the project MNIST feature network)."
    )


def resolve_inception_weights(download: bool = True) -> Path:
    """The Inception weights file: explicit path / env, then the torch hub cache, then a download
    (only when the network answers). Otherwise a GanbenchError naming the file and the fix."""
    explicit = os.environ.get(INCEPTION_ENV)
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise GanbenchError(
                f"--inception-weights / {INCEPTION_ENV} points to {path}, which is not a file; "
                f"give the path of {INCEPTION_FILE}, or use --features auto (the offline "
                "project network)"
            )
        return path
    hub = inception_hub_path()
    if hub.is_file():
        return hub
    looked = [f"{INCEPTION_ENV} unset", f"not in the torch hub cache {hub.parent}"]
    if download and _online():
        hub.parent.mkdir(parents=True, exist_ok=True)
        try:
            torch.hub.download_url_to_file(INCEPTION_URL, str(hub), progress=False)
            return hub
        except Exception as exc:  # network went away mid-download
            looked.append(f"download failed: {exc}")
    raise GanbenchError(inception_missing_message(looked))


# --- Feature spaces ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FeatureSpace:
    name: str  # "mnist-cnn", "mnist-inverse-thick-cnn" (space_name(domain)), "inception", a module's
    extractor: str  # torch-fidelity registry name, or "user:MODULE:ATTR" (metrics/user_features.py)
    weights: Path
    sha12: str  # first 12 hex digits of the weights' SHA-256
    isc_layer: str
    fid_layer: str  # also KID, PRDC and memorization

    @property
    def id(self) -> str:
        return f"{self.name}@{self.sha12}"

    @property
    def extractor_kwargs(self) -> dict:
        """What torch-fidelity's `calculate_metrics` needs to build the same extractor."""
        kw = {
            "feature_extractor": self.extractor,
            "feature_layer_isc": self.isc_layer,
            "feature_layer_fid": self.fid_layer,
            "feature_layer_kid": self.fid_layer,
            "feature_layer_prc": self.fid_layer,
        }
        if self.name == "inception":
            kw["feature_extractor_weights_path"] = str(self.weights)
        return kw


@cache
def _sha12(path: str, mtime: float) -> str:
    return sha256_file(Path(path))[:12]


def local_inception_weights() -> Path | None:
    """The Inception weights file when it is on this machine (no download), else None."""
    try:
        explicit = os.environ.get(INCEPTION_ENV)
        if explicit:
            return resolve_inception_weights(download=False)
        hub = inception_hub_path()
        return hub if hub.is_file() else None
    except GanbenchError:
        return None


def no_space_message(dataset: str, shape: tuple[int, ...]) -> str:
    covered = "; ".join(
        f"{space_name(d)}: {', '.join(n for n, dd in PROJECT_DOMAINS.items() if dd == d)}"
        for d in sorted(set(PROJECT_DOMAINS.values()))
    )
    return (
        f"no feature network fits dataset {dataset!r} ({'x'.join(map(str, shape))} images): the "
        f"project networks score only their own datasets ({covered}), and the Inception-v3 "
        f"weights file {INCEPTION_FILE} is not on this machine; put it at {inception_hub_path()} "
        f"(or pass --inception-weights PATH / set {INCEPTION_ENV}), or choose --features "
        f"{CHOICES_TEXT}"
    )


def _image_space_problem(features: str, name: str, spec) -> None:
    """Raise (GanbenchError) when generation images `name` cannot be scored in `features`."""
    from ganbench.metrics import user_features

    domain = project_domain(name)
    if features == "auto":
        if domain is None and local_inception_weights() is None:
            raise GanbenchError(no_space_message(name, spec.shape))
        return
    if features in PROJECT_CHOICES:
        wanted = PROJECT_CHOICES[features]
        # your own grey 28 px data (a folder of MNIST PNGs) may be scored by a project network
        # when you name it; a bundled dataset of another domain never is
        yours = name.startswith(USER_PREFIXES) and tuple(spec.shape) in ((1, 28, 28), (1, 32, 32))
        if domain != wanted and not (domain is None and yours):
            covers = ", ".join(n for n, d in PROJECT_DOMAINS.items() if d == wanted)
            raise GanbenchError(
                f"--features {features} is the project network of {covers} (and of your own "
                f"grey 28 px images when you name it), not of {name!r}; use --features "
                f"{CHOICES_TEXT}"
            )
        return
    if user_features.is_module_text(features) or features in user_features.entry_point_names():
        user_features.probe(features, spec.shape[0])


def check_feature_space(
    features: str, dataset_names: Iterable[str] = (), strict: bool = False
) -> None:
    """Fail fast (before any training) when the image and translation datasets cannot be scored
    in `features`: an unknown name, Inception weights that cannot be had, project weights (of
    each target domain) missing or altered, a dataset no network fits (`--features auto` picks a
    project network only for its own datasets, else Inception when its weights are here), a
    feature module that fails its probe batch. strict: also refuse translation datasets whose
    target domain no project network covers (used per run; the suite plan leaves those to fail
    as their own rows)."""
    from ganbench.data import get_dataset
    from ganbench.metrics import user_features

    module = user_features.is_module_text(features) or (
        features not in FEATURE_CHOICES and features in user_features.entry_point_names()
    )
    if features not in FEATURE_CHOICES and not module:
        raise GanbenchError(f"unknown feature space {features!r}; use one of: {CHOICES_TEXT}")
    specs = {d: get_dataset(d).spec for d in dataset_names}
    images = [d for d, s in specs.items() if s.kind == "image"]
    translations = [d for d, s in specs.items() if s.kind == "translation"]
    if not images and not translations:
        return
    if features == "inception":
        resolve_inception_weights()
        return
    for d in images:
        _image_space_problem(features, d, specs[d])
    if module:
        return
    unknown = [d for d in translations if specs[d].target_domain not in classifier.DOMAINS]
    if strict and unknown:
        raise GanbenchError(
            f"no project feature network for the target domain of {', '.join(unknown)} "
            f"({', '.join(sorted({specs[d].target_domain for d in unknown}))}); the project "
            f"networks cover {', '.join(classifier.DOMAINS)}; score it with --features inception"
        )
    domains = {specs[d].target_domain for d in translations if d not in unknown}
    domains |= {project_domain(d) for d in images if project_domain(d)}
    for domain in sorted(domains):  # the shipped weights are there and match their hash
        classifier.load_state_verified(domain=domain)


def inception_space(path: Path) -> FeatureSpace:
    return FeatureSpace(
        "inception",
        INCEPTION_EXTRACTOR,
        path,
        _sha12(str(path), path.stat().st_mtime),
        "logits_unbiased",
        "2048",
    )


def resolve_feature_space(features: str, dataset_name: str) -> FeatureSpace:
    """The feature space `features` means for `dataset_name` (after check_feature_space)."""
    from ganbench.data import get_dataset
    from ganbench.metrics import user_features

    check_feature_space(features, [dataset_name], strict=True)
    spec = get_dataset(dataset_name).spec
    if features == "inception":
        return inception_space(resolve_inception_weights())
    if features not in FEATURE_CHOICES:  # a module (checked on its probe batch above)
        _, dec, sha = user_features.load_module(features)
        return FeatureSpace(dec.name, f"user:{features}", Path(""), sha, "logits", "features")
    if spec.kind == "translation":
        return domain_space(spec.target_domain)
    if features in PROJECT_CHOICES:
        return domain_space(PROJECT_CHOICES[features])
    domain = project_domain(dataset_name)
    if domain is None:  # auto, no project network: Inception, present on this machine
        return inception_space(local_inception_weights())
    return domain_space(domain)


def domain_space(domain: str = "mnist") -> FeatureSpace:
    """The project feature space of a target domain (classifier.DOMAINS), e.g. to score a
    two-way translator's reverse direction in the source domain."""
    return FeatureSpace(
        space_name(domain),
        extractor_name(domain),
        classifier.weights_files(domain)[0],
        classifier.weights_meta(domain)["sha256"][:12],
        "logits",
        "penultimate",
    )


@cache
def _extractor(space: FeatureSpace, device: str) -> FeatureExtractorBase:
    layers = sorted({space.isc_layer, space.fid_layer})
    kwargs = {"verbose": False}
    if space.name == "inception":
        kwargs["feature_extractor_weights_path"] = str(space.weights)
    ext = create_feature_extractor(space.extractor, layers, cuda=False, **kwargs)
    return ext.to(device)


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    """Images in [-1, 1] -> uint8 in [0, 255] (rounded): what torch-fidelity extractors take."""
    return ((images.clamp(-1, 1) + 1) * 127.5).round_().to(torch.uint8)


@torch.no_grad()
def extract(
    space: FeatureSpace,
    images: torch.Tensor,
    device: torch.device | str = "cpu",
    batch_size: int = 64,
) -> dict[str, torch.Tensor]:
    """{"logits": (N, classes), "features": (N, d)} float32 on the CPU for images in [-1, 1].
    Batches of 64 (torch-fidelity's default) run fastest on a CPU: the activations stay in cache."""
    if space.extractor.startswith("user:"):
        from ganbench.metrics.user_features import extract_user

        return extract_user(space.extractor[len("user:") :], images, device, batch_size)
    ext = _extractor(space, str(torch.device(device)))
    outs: dict[str, list[torch.Tensor]] = {"logits": [], "features": []}
    for i in range(0, len(images), batch_size):
        x = to_uint8(images[i : i + batch_size]).to(device)
        if space.name == "inception" and x.shape[1] == 1:
            x = x.repeat(1, 3, 1, 1)  # the Inception extractor takes 3 channels
        d = ext.convert_features_tuple_to_dict(ext(x))
        outs["logits"].append(d[space.isc_layer].float().cpu())
        outs["features"].append(d[space.fid_layer].float().cpu())
    return {k: torch.cat(v) for k, v in outs.items()}
