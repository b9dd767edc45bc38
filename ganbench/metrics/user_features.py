"""Your own feature network for the image metrics: `--features MODULE:ATTR` (or
path/to/file.py:ATTR, or the name of an entry point in the group `ganbench.features`).

ATTR is an `nn.Module`, or a class / function of no arguments returning one, that declares

  input_size    int (a side: images are resized to it, bilinear with antialiasing) or (H, W)
  input_range   (lo, hi): the value range it expects, e.g. (0, 1), (-1, 1), (0, 255)
  feature_dim   int: forward(x) returns (N, feature_dim) features, or a tuple (features, logits)
                with logits (N, K) when it also classifies (then IS is computed from them;
                otherwise is_mean / is_std stay empty with the reason)
  input_channels (optional) 1 or 3; grey data are repeated to 3 channels, colour data are
                refused by a 1-channel module; default: whatever the data have
  name          (optional) the name the `features` column shows (default: ATTR)

Before any scoring (and before any training, in `run`), the module is called on a probe batch of
four images of the declared size and range: it must return finite features of the declared shape.
A module that raises, returns another shape or NaN is a one-line usage error (exit 2). Every row
names the space as `<name>@<hash>`: the first 12 hex digits of a SHA-256 over its parameters and
buffers (names, shapes, dtypes, bytes) and its declared input size, range and channels.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from ganbench.core.errors import GanbenchError
from ganbench.core.seeding import rng_untouched

ENTRY_POINT_GROUP = "ganbench.features"
PROBE_BATCH = 4


def is_module_text(text: str) -> bool:
    """MODULE:ATTR or path/file.py:ATTR (the built-in choices hold no ':')."""
    return ":" in text


def canonical_text(text: str) -> str:
    """A file path made absolute (spawned workers and later commands import the same file)."""
    if not is_module_text(text):
        return text
    source, _, attr = text.rpartition(":")
    if "/" in source or "\\" in source or source.endswith(".py"):
        return f"{Path(source).expanduser().resolve()}:{attr}"
    return text


def entry_point_names() -> list[str]:
    from importlib.metadata import entry_points

    return [ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)]


def _import_attr(text: str):
    from importlib.metadata import entry_points

    if not is_module_text(text):
        eps = [ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name == text]
        if not eps:
            raise GanbenchError(f"no feature entry point {text!r} in {ENTRY_POINT_GROUP}")
        try:
            return eps[0].load()
        except Exception as exc:
            raise GanbenchError(
                f"--features {text}: its entry point failed to import ({type(exc).__name__}: "
                f"{exc}); fix or uninstall that package"
            ) from None
    source, _, attr = text.rpartition(":")
    if not source or not attr:
        raise GanbenchError(f"--features {text!r}: expected MODULE:ATTR or path/to/file.py:ATTR")
    try:
        if source.endswith(".py") or "/" in source or "\\" in source:
            path = Path(source).expanduser()
            if not path.is_file():
                raise GanbenchError(
                    f"--features {text}: {path} is not a file; give the path of a Python file "
                    "defining the feature module"
                )
            mod_name = f"_ganbench_features_{hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:10]}"
            if mod_name in sys.modules:
                module = sys.modules[mod_name]
            else:
                spec = importlib.util.spec_from_file_location(mod_name, path)
                module = importlib.util.module_from_spec(spec)
                sys.modules[mod_name] = module
                try:
                    spec.loader.exec_module(module)
                except BaseException:
                    sys.modules.pop(mod_name, None)
                    raise
        else:
            module = importlib.import_module(source)
    except GanbenchError:
        raise
    except Exception as exc:
        raise GanbenchError(
            f"--features {text}: importing {source} raised {type(exc).__name__}: {exc}; fix the "
            "module"
        ) from None
    obj = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise GanbenchError(f"--features {text}: {source} has no attribute {attr!r}")
        obj = getattr(obj, part)
    return obj


@dataclass(frozen=True)
class Declared:
    size: tuple[int, int]
    lo: float
    hi: float
    dim: int
    channels: int | None
    name: str


def _declared(net: nn.Module, text: str) -> Declared:
    missing = [a for a in ("input_size", "input_range", "feature_dim") if not hasattr(net, a)]
    if missing:
        raise GanbenchError(
            f"--features {text}: the module does not declare {', '.join(missing)}; give it "
            "input_size (int or (H, W)), input_range ((lo, hi)) and feature_dim (int) attributes"
        )
    size = net.input_size
    size = (int(size), int(size)) if isinstance(size, int) else tuple(int(s) for s in size)
    try:
        lo, hi = (float(v) for v in net.input_range)
        dim = int(net.feature_dim)
    except (TypeError, ValueError):
        raise GanbenchError(
            f"--features {text}: input_range must be two numbers and feature_dim an integer"
        ) from None
    if len(size) != 2 or min(size) < 1 or not hi > lo or dim < 1:
        raise GanbenchError(
            f"--features {text}: declared input_size {net.input_size}, input_range "
            f"{net.input_range}, feature_dim {net.feature_dim} are not usable"
        )
    ch = getattr(net, "input_channels", None)
    if ch is not None and ch not in (1, 3):
        raise GanbenchError(f"--features {text}: input_channels must be 1 or 3, not {ch}")
    name = str(getattr(net, "name", "") or text.rpartition(":")[2] or text)
    return Declared(size, lo, hi, dim, ch, name)


@cache
def load_module(text: str) -> tuple[nn.Module, Declared, str]:
    """(the module in eval mode on the CPU, what it declares, the 12-hex weights hash)."""
    obj = _import_attr(text)
    if not isinstance(obj, nn.Module):
        if not callable(obj):
            raise GanbenchError(
                f"--features {text}: {type(obj).__name__} is not an nn.Module or a factory of one"
            )
        try:
            with rng_untouched():
                obj = obj()
        except Exception as exc:
            raise GanbenchError(
                f"--features {text}: building the module raised {type(exc).__name__}: {exc}"
            ) from None
        if not isinstance(obj, nn.Module):
            raise GanbenchError(
                f"--features {text}: the factory returned {type(obj).__name__}, not an nn.Module"
            )
    obj.eval().requires_grad_(False)
    dec = _declared(obj, text)
    h = hashlib.sha256(repr((dec.size, dec.lo, dec.hi, dec.dim, dec.channels)).encode())
    for k, v in sorted(obj.state_dict().items()):
        t = v.detach().cpu().contiguous()
        h.update(f"{k}\0{tuple(t.shape)}\0{t.dtype}\0".encode())
        h.update(t.view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return obj, dec, h.hexdigest()[:12]


def prepare(images: torch.Tensor, dec: Declared, text: str) -> torch.Tensor:
    """Images in [-1, 1] -> the module's input: quantised to 8 bits as every space sees them,
    mapped to its range, its channels and (bilinear, antialiased) its size."""
    u = ((images.clamp(-1, 1) + 1) * 127.5).round_()
    x = dec.lo + u * ((dec.hi - dec.lo) / 255.0)
    if dec.channels == 3 and x.shape[1] == 1:
        x = x.repeat(1, 3, 1, 1)
    elif dec.channels == 1 and x.shape[1] != 1:
        raise GanbenchError(
            f"--features {text} takes 1-channel images and the data have {x.shape[1]}; use a "
            "module that takes 3 channels (input_channels = 3)"
        )
    if tuple(x.shape[2:]) != dec.size:
        x = F.interpolate(x, size=dec.size, mode="bilinear", align_corners=False, antialias=True)
    return x


def call(net: nn.Module, dec: Declared, text: str, x: torch.Tensor):
    """(features (N, dim) float32, logits or None), checked: a GanbenchError otherwise."""
    n = len(x)
    try:
        with torch.no_grad():
            out = net(x)
    except Exception as exc:
        raise GanbenchError(
            f"--features {text} raised {type(exc).__name__}: {exc} on a batch of shape "
            f"{tuple(x.shape)} in [{dec.lo:g}, {dec.hi:g}]; fix the module"
        ) from None
    feats, logits = (out if isinstance(out, tuple | list) and len(out) == 2 else (out, None))
    if not isinstance(feats, torch.Tensor) or tuple(feats.shape) != (n, dec.dim):
        got = tuple(feats.shape) if isinstance(feats, torch.Tensor) else type(feats).__name__
        raise GanbenchError(
            f"--features {text} returned {got} for a batch of {n}, not ({n}, {dec.dim}) as its "
            "feature_dim declares; fix the module or its feature_dim"
        )
    if not torch.isfinite(feats).all():
        raise GanbenchError(f"--features {text} returned NaN or inf features; fix the module")
    if logits is not None and (
        not isinstance(logits, torch.Tensor) or logits.ndim != 2 or len(logits) != n
        or not torch.isfinite(logits).all()
    ):  # fmt: skip
        raise GanbenchError(
            f"--features {text} returned logits that are not finite (N, K) scores; fix the module"
        )
    return feats.float(), None if logits is None else logits.float()


def probe(text: str, channels: int) -> tuple[Declared, str]:
    """Load the module and run it on a probe batch of `channels`-channel images: (declared, hash)
    or a one-line GanbenchError."""
    net, dec, sha = load_module(text)
    g = torch.Generator().manual_seed(0)
    x = torch.rand(PROBE_BATCH, channels, *dec.size, generator=g) * 2 - 1
    call(net, dec, text, prepare(x, dec, text))
    return dec, sha


def extract_user(
    text: str, images: torch.Tensor, device: torch.device | str, batch_size: int = 64
) -> dict[str, torch.Tensor]:
    """{"logits": (N, K) or (N, 0), "features": (N, dim)} float32 on the CPU."""
    net, dec, _ = load_module(text)
    dev = torch.device(device)
    net = net.to(dev)
    feats, logits = [], []
    for i in range(0, len(images), batch_size):
        x = prepare(images[i : i + batch_size].float(), dec, text).to(dev)
        f, lg = call(net, dec, text, x)
        feats.append(f.cpu())
        logits.append(lg.cpu() if lg is not None else torch.zeros(len(x), 0))
    if not feats:
        return {"logits": torch.zeros(0, 0), "features": torch.zeros(0, dec.dim)}
    return {"logits": torch.cat(logits), "features": torch.cat(feats)}
