"""Evaluate any generator: `ganbench eval --generator MODULE:ATTR | path/to/file.py:ATTR`.

ATTR may be
  * an `nn.Module` taking noise `G(z)`, z ~ N(0, I) of shape (n, latent_dim); latent_dim comes from
    an int attribute `latent_dim` (or `z_dim`, `nz`, `latent_size`, `noise_dim`) or `--latent-dim`;
  * a callable `sample(n, device) -> tensor`;
  * a factory (a class or a function with no required arguments; it may take `spec`, the dataset's
    DataSpec) returning either of the above.
Conditional generators: a module with `conditional = True` is called as `G(z, labels)`, a sampler
with a `labels` parameter as `sample(n, device, labels=labels)`; labels are int64 class indices
drawn uniformly from the dataset's classes, and the samples are scored like any others.

Outputs are checked on every call: a tensor (or NumPy array) of exactly n samples of the dataset's
shape; images as float in [-1, 1] or uint8 in 0..255 (converted to [-1, 1]); finite values.

Timeout: each call into the plug-in (import, factory, every sampling call) runs in a daemon thread
that is joined with `timeout`; past it the run is recorded as failed and the suite moves on. Python
cannot kill a thread, so the hung call is abandoned (it dies with the process) and the generator is
not called again for the remaining seeds. A subprocess could be killed, but would copy every batch
of samples between processes and re-initialise CUDA and the plug-in per run; a thread keeps the
plug-in in-process (same device, same tensors) and cannot hang the suite.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import inspect
import re
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from ganbench import __version__
from ganbench.config import get_preset
from ganbench.data import get_dataset
from ganbench.data.base import DataSpec
from ganbench.data.registry import check_dataset_name
from ganbench.errors import GanbenchError
from ganbench.io import write_json_atomic, write_text_atomic
from ganbench.log import info, stage, warn
from ganbench.seeding import make_generator, resolve_device, seed_everything

LATENT_ATTRS = ("latent_dim", "z_dim", "nz", "latent_size", "noise_dim")
DEFAULT_TIMEOUT = 60.0
RANGE_TOLERANCE = 1e-3
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")


class PluginError(GanbenchError):
    """A plug-in generator could not be loaded or returned something unusable (message: the
    problem and the fix)."""


class PluginTimeout(PluginError):
    pass


class PluginImportError(PluginError):
    """--generator names something that cannot be imported (missing file, module or attribute, a
    file that is not valid Python): a usage error (exit 2, nothing written), not a generator fault.
    """


@dataclass(frozen=True)
class Target:
    text: str  # as given
    source: str  # module name or file path
    attr: str
    is_file: bool

    @property
    def default_name(self) -> str:
        stem = Path(self.source).stem if self.is_file else self.source.rsplit(".", 1)[-1]
        name = f"{stem}-{self.attr}" if stem != self.attr else stem
        return re.sub(r"[^A-Za-z0-9_.+-]", "_", name)


def parse_target(text: str) -> Target:
    """'pkg.mod:attr' or 'path/to/file.py:attr'. Malformed text is a usage error."""
    source, sep, attr = text.rpartition(":")
    if not sep or not source or not attr:
        raise GanbenchError(
            f"--generator {text!r}: expected MODULE:ATTR or path/to/file.py:ATTR, "
            "e.g. mypkg.models:generator or ./gen.py:G"
        )
    if not attr.replace(".", "_").isidentifier():
        raise GanbenchError(f"--generator {text!r}: {attr!r} is not a Python attribute name")
    is_file = "/" in source or "\\" in source or source.endswith(".py") or Path(source).is_file()
    return Target(text, source, attr, is_file)


def check_name(name: str) -> str:
    if not NAME_RE.match(name):
        raise GanbenchError(f"--name {name!r}: use letters, digits and _ . + - only")
    from ganbench.reference import REFERENCE_VARIANT
    from ganbench.registry import list_variants

    if name == REFERENCE_VARIANT:
        raise GanbenchError(
            f"--name {name!r} is the held-out real data's reference row; pick another --name"
        )
    if any(v.name == name for v in list_variants()):
        raise GanbenchError(
            f"--name {name!r} is a registered variant; pick another --name so its results "
            "stay intact"
        )
    return name


# --- calling plug-in code safely ----------------------------------------------------------------


@dataclass
class _Box:
    value: Any = None
    error: BaseException | None = None
    tb: str = ""


def call_with_timeout(
    fn: Callable[..., Any], timeout: float | None, what: str, *args: Any, **kwargs: Any
) -> Any:
    """fn(*args, **kwargs) in a daemon thread; PluginTimeout past `timeout` seconds, PluginError
    (with the traceback kept in `.plugin_traceback`) when it raises."""
    box = _Box()

    def target() -> None:
        try:
            box.value = fn(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001  the plug-in's problem, reported below
            box.error, box.tb = exc, traceback.format_exc()

    t = threading.Thread(target=target, name=f"ganbench-plugin: {what}", daemon=True)
    t.start()
    t.join(timeout)
    if t.is_alive():
        raise PluginTimeout(
            f"{what} did not return within {timeout:g} s (--timeout); make it faster, or raise "
            "--timeout if it is just slow"
        )
    if box.error is not None:
        if isinstance(box.error, PluginError):
            raise box.error
        exc = box.error
        err = PluginError(
            f"{what} raised {type(exc).__name__}: {exc}; fix the generator "
            "(its traceback is in the run folder's traceback.txt)"
        )
        err.plugin_traceback = box.tb  # type: ignore[attr-defined]
        raise err
    return box.value


# --- loading -------------------------------------------------------------------------------------


def _import_file(path: Path) -> Any:
    if not path.exists():
        raise PluginImportError(
            f"generator file {path} does not exist; check the path (relative paths "
            "are taken from the current folder)"
        )
    if path.is_dir():
        raise PluginImportError(
            f"generator path {path} is a folder; pass a .py file, or the package "
            "as MODULE:ATTR with its parent folder on PYTHONPATH"
        )
    if path.suffix != ".py":
        raise PluginImportError(
            f"generator file {path} is not a Python file (suffix "
            f"{path.suffix or 'none'!r}); pass a .py file or MODULE:ATTR"
        )
    try:
        source = path.read_bytes()
        compile(source, str(path), "exec")
    except (SyntaxError, ValueError, UnicodeDecodeError) as exc:
        where = f" (line {exc.lineno})" if isinstance(exc, SyntaxError) and exc.lineno else ""
        raise PluginImportError(
            f"generator file {path} is not valid Python{where}: "
            f"{type(exc).__name__}: {getattr(exc, 'msg', exc)}; fix the file or "
            "point --generator at the right one"
        ) from None
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:8]
    mod_name = f"ganbench_plugin_{re.sub(r'[^A-Za-z0-9_]', '_', path.stem)}_{digest}"
    spec = importlib.util.spec_from_file_location(mod_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[mod_name] = module
    folder = str(path.resolve().parent)
    if folder not in sys.path:  # so the file can import its neighbours
        sys.path.insert(0, folder)
    try:
        spec.loader.exec_module(module)
    except ModuleNotFoundError as exc:  # the file imports something that is not installed
        sys.modules.pop(mod_name, None)
        raise PluginImportError(
            f"generator file {path} imports {exc.name or str(exc)!r}, which is not installed; "
            "pip install it or add its folder to PYTHONPATH"
        ) from None
    except BaseException:
        sys.modules.pop(mod_name, None)
        raise
    return module


def _import_module(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except SyntaxError as exc:
        where = f"{exc.filename}, line {exc.lineno}" if exc.lineno else str(exc.filename)
        raise PluginImportError(
            f"module {name!r} is not valid Python ({where}): {exc.msg}; fix the file or point "
            "--generator at the right one"
        ) from None
    except ModuleNotFoundError as exc:
        missing = exc.name or ""
        if missing and (name == missing or name.startswith(missing + ".")):
            raise PluginImportError(
                f"cannot import module {name!r} (no module named {missing!r}); check the spelling, "
                "pip install the package that provides it or add its folder to PYTHONPATH, or pass "
                "path/to/file.py:ATTR"
            ) from None
        raise PluginImportError(
            f"module {name!r} imports {missing!r}, which is not installed; pip install it"
        ) from None


def load_object(target: Target, timeout: float | None = DEFAULT_TIMEOUT) -> Any:
    """Import the module or file and return ATTR (dotted attributes allowed)."""
    what = f"importing {target.source}"
    if target.is_file:
        module = call_with_timeout(_import_file, timeout, what, Path(target.source))
    else:
        module = call_with_timeout(_import_module, timeout, what, target.source)
    obj = module
    for part in target.attr.split("."):
        if not hasattr(obj, part):
            public = sorted(n for n in dir(module) if not n.startswith("_"))[:12]
            raise PluginImportError(
                f"{target.source} has no attribute {target.attr!r}; pass one of its names after "
                f"the ':' (it has: {', '.join(public) or 'nothing public'})"
            )
        obj = getattr(obj, part)
    return obj


# --- adapting to a Sampler -----------------------------------------------------------------------


def _required_params(fn: Any) -> tuple[int, set[str]] | None:
    """(number of required positional parameters other than `spec`, every parameter name)."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    req = [
        p
        for p in sig.parameters.values()
        if p.name != "spec"
        and p.default is p.empty
        and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    return len(req), set(sig.parameters)


def _is_factory(obj: Any) -> bool:
    """A class, or a function with no required arguments besides an optional `spec`."""
    if inspect.isclass(obj):
        return True
    params = _required_params(obj)
    return params is not None and params[0] == 0


def _latent_dim(module: nn.Module, override: int | None) -> int:
    if override:
        return int(override)
    for a in LATENT_ATTRS:
        v = getattr(module, a, None)
        if isinstance(v, int) and not isinstance(v, bool) and v > 0:
            return v
    raise PluginError(
        f"cannot tell how much noise {type(module).__name__} takes; give the module an int "
        f"attribute `latent_dim` (or {', '.join(LATENT_ATTRS[1:])}), or pass --latent-dim"
    )


@dataclass
class Adapted:
    raw: Callable[[int], Any]  # n -> whatever the plug-in returns
    kind: str  # "module" or "sampler"
    conditional: bool = False
    notes: list[str] = field(default_factory=list)


def adapt(
    obj: Any,
    spec: DataSpec,
    device: torch.device,
    generator: torch.Generator,
    latent_dim: int | None = None,
    timeout: float | None = DEFAULT_TIMEOUT,
) -> Adapted:
    """Turn a module, a sample(n, device) callable or a factory into n -> raw output."""
    if not isinstance(obj, nn.Module) and callable(obj) and _is_factory(obj):
        params = _required_params(obj)
        kwargs = {"spec": spec} if params and "spec" in params[1] else {}
        name = getattr(obj, "__name__", type(obj).__name__)
        obj = call_with_timeout(obj, timeout, f"factory {name}()", **kwargs)
        if not isinstance(obj, nn.Module) and callable(obj) and _is_factory(obj):
            raise PluginError(
                f"factory {name}() returned another factory ({obj!r}); return an "
                "nn.Module or a sample(n, device) callable"
            )

    def labels_for(n: int) -> torch.Tensor:
        return torch.randint(spec.num_classes, (n,), device=device, generator=generator)

    if isinstance(obj, nn.Module):
        module = obj.to(device).eval()
        z_dim = _latent_dim(module, latent_dim)
        conditional = bool(getattr(module, "conditional", False))
        if conditional and not spec.num_classes:
            raise PluginError(
                f"{type(module).__name__} is conditional but dataset {spec.name!r} "
                "has no labels; pick a labelled dataset"
            )

        @torch.no_grad()
        def raw(n: int) -> Any:
            z = torch.randn(n, z_dim, device=device, generator=generator)
            return module(z, labels_for(n)) if conditional else module(z)

        return Adapted(raw, "module", conditional, [f"nn.Module, latent_dim={z_dim}"])
    if callable(obj):
        params = _required_params(obj)
        conditional = params is not None and "labels" in params[1]
        if params is not None and params[0] > 2 + conditional:
            raise PluginError(
                f"{obj!r} needs {params[0]} arguments; a sampler is called as "
                "sample(n, device) (plus labels=... when conditional)"
            )
        if conditional and not spec.num_classes:
            conditional = False

        @torch.no_grad()
        def raw(n: int) -> Any:
            if conditional:
                return obj(n, device, labels=labels_for(n))
            return obj(n, device)

        return Adapted(raw, "sampler", conditional, ["sample(n, device) callable"])
    raise PluginError(
        f"the generator is of type {type(obj).__name__}, not something that generates; export an "
        "nn.Module taking noise, a function sample(n, device), or a factory returning either"
    )


def check_output(x: Any, n: int, spec: DataSpec, where: str = "the generator") -> torch.Tensor:
    """The plug-in's output as float32 in the dataset's range, or a PluginError naming the fix."""
    if isinstance(x, np.ndarray):
        x = torch.from_numpy(x)
    if not isinstance(x, torch.Tensor):
        raise PluginError(
            f"{where} returned a {type(x).__name__}, expected a torch.Tensor of "
            f"shape {(n, *spec.shape)}; return a tensor"
        )
    shape = tuple(x.shape)
    if len(shape) == 0 or shape[0] != n:
        got = "a scalar" if len(shape) == 0 else f"{shape[0]} samples (shape {shape})"
        raise PluginError(f"{where} returned {got} when asked for n={n}; return exactly n samples")
    if shape[1:] != tuple(spec.shape):
        raise PluginError(
            f"{where} returned samples of shape {shape[1:]}, dataset {spec.name!r} "
            f"needs {tuple(spec.shape)} (the batch is {(n, *spec.shape)}); "
            "reshape the output"
        )
    if x.dtype == torch.uint8:
        if spec.kind != "image":
            raise PluginError(f"{where} returned uint8 for 2-D points; return float coordinates")
        return x.detach().float().cpu() / 127.5 - 1.0
    if not (x.dtype.is_floating_point):
        fix = (
            "float in [-1, 1] or uint8 pixels in 0..255"
            if spec.kind == "image"
            else "float coordinates"
        )
        raise PluginError(f"{where} returned dtype {x.dtype}; return {fix}")
    x = x.detach().float().cpu()
    bad = ~torch.isfinite(x)
    if bad.any():
        raise PluginError(
            f"{where} returned {int(bad.sum())} NaN/inf values in {x.numel()}; "
            "make the generator's output finite (a diverged model or a bad input?)"
        )
    if spec.kind == "image":
        lo, hi = float(x.min()), float(x.max())
        if lo < -1 - RANGE_TOLERANCE or hi > 1 + RANGE_TOLERANCE:
            hint = (
                " (these look like 0..255 pixels as float: return uint8, or x / 127.5 - 1)"
                if lo >= 0 and hi > 2
                else ""
            )
            raise PluginError(
                f"{where} returned values in [{lo:.3g}, {hi:.3g}], images must be "
                f"in [-1, 1]{hint}; scale the output, e.g. with tanh"
            )
        x = x.clamp(-1, 1)
    return x


def make_checked_sampler(
    adapted: Adapted, spec: DataSpec, timeout: float | None, label: str
) -> Callable[[int], torch.Tensor]:
    warned = []

    def sample(n: int) -> torch.Tensor:
        x = call_with_timeout(adapted.raw, timeout, f"{label} sampling n={n}", n)
        x = check_output(x, n, spec, label)
        if spec.kind == "image" and not warned and float(x.min()) >= 0 and n > 1:
            warned.append(True)
            warn(
                f"{label}: every value is >= 0; if it outputs [0, 1], map it to [-1, 1] "
                "(x * 2 - 1) or the scores will be wrong"
            )
        return x

    return sample


# --- evaluating ----------------------------------------------------------------------------------


@dataclass
class EvalOutcome:
    rows: list[dict[str, Any]]
    failed: int


def _row(name: str, dataset: str, seed: int, preset: str, device: str) -> dict[str, Any]:
    return {
        "variant": name,
        "dataset": dataset,
        "seed": seed,
        "preset": preset,
        "steps": 0,
        "batch_size": 0,
        "wall_seconds": 0.0,
        "device": device,
        "status": "failed",
        "features": "",
        "ganbench_version": __version__,
        "family": "external",
        "origin": "external",
    }


def evaluate_generator(
    generator: str,
    dataset: str,
    out: Path,
    name: str | None = None,
    seeds: list[int] = (0,),
    preset: str = "quick",
    device: str = "auto",
    timeout: float | None = DEFAULT_TIMEOUT,
    latent_dim: int | None = None,
    features: str = "auto",
) -> EvalOutcome:
    """Score a plug-in generator on `dataset` per seed; every seed leaves a result.json under
    out/runs/<name>/<dataset>/seed<k>/ (status ok, or failed with the reason)."""
    from ganbench.evaluate import evaluate
    from ganbench.pictures import save_samples_picture

    target = parse_target(generator)  # usage errors first, before anything is written
    check_dataset_name(dataset)
    name = check_name(name or target.default_name)
    sizes = get_preset(preset).eval
    dev = resolve_device(device)
    if timeout is not None and not timeout > 0:
        raise GanbenchError(f"--timeout {timeout}: give a positive number of seconds")
    if not seeds:
        raise GanbenchError("no seeds given; pass --seeds with at least one integer")

    out = Path(out)
    rows: list[dict[str, Any]] = []
    obj: Any = None
    load_error: str | None = None
    try:
        stage(f"{name}: loading {generator}")
        obj = load_object(target, timeout)
    except PluginImportError:
        raise  # a usage error: exit 2, before anything is written
    except PluginError as exc:  # it imports, but its import raised or hung: a failed row
        load_error = str(exc)
    data = get_dataset(dataset)
    hung: str | None = None
    for seed in seeds:
        folder = out / "runs" / name / dataset / f"seed{seed}"
        row = _row(name, dataset, int(seed), preset, str(dev))
        start = time.perf_counter()
        tb = ""
        try:
            if load_error:
                raise PluginError(load_error)
            if hung:
                raise PluginError(f"not run: {hung}")
            seed_everything(int(seed))
            gen = make_generator(int(seed) + 1_000_003, dev)  # the same evaluation noise as run
            adapted = adapt(obj, data.spec, dev, gen, latent_dim, timeout)
            stage(f"{name} {dataset} seed{seed}: evaluating ({adapted.notes[0]})")
            sampler = make_checked_sampler(adapted, data.spec, timeout, name)
            t = time.perf_counter()
            ev = evaluate(sampler, data, sizes, int(seed), features, dev)
            row.update(
                ev.metrics,
                features=ev.features,
                n_gen=ev.n_gen,
                n_real=ev.n_real,
                eval_seconds=round(time.perf_counter() - t, 3),
            )
            save_samples_picture(
                ev.artifacts["samples"][:2500],
                data,
                folder / "samples.png",
                f"{name} · {dataset} · seed {seed} (external)",
            )
            _save_extra_artifacts(ev, name, dataset, int(seed), folder)
            row["status"] = "ok"
            (folder / "traceback.txt").unlink(missing_ok=True)  # from an earlier failed attempt
        except PluginTimeout as exc:
            hung = f"the generator hung on seed {seed} ({exc})"
            row["error"] = str(exc)
        except GanbenchError as exc:
            row["error"] = str(exc)
            tb = getattr(exc, "plugin_traceback", "")
        except Exception as exc:  # the evaluation itself choked on the plug-in's output
            row["error"] = f"{type(exc).__name__}: {exc}"
            tb = traceback.format_exc()
        row["wall_seconds"] = round(time.perf_counter() - start, 3)
        if tb:
            write_text_atomic(folder / "traceback.txt", tb)
        spec = {
            "generator": generator,
            "timeout": timeout,
            "latent_dim": latent_dim,
            "features": features,
            "preset": preset,
        }
        write_json_atomic(folder / "result.json", {**row, "spec": spec})
        rows.append(row)
        if row["status"] == "failed":
            warn(f"{name} {dataset} seed{seed}: failed - {row['error']}")
        else:
            info(f"{name} {dataset} seed{seed}: ok in {row['wall_seconds']:.1f}s")
    from ganbench.reference import ensure_reference_rows  # the held-out real data beside it

    ensure_reference_rows(out, [(dataset, int(s)) for s in seeds], preset, features, str(dev))
    return EvalOutcome(rows, sum(r["status"] == "failed" for r in rows))


def _save_extra_artifacts(ev: Any, name: str, dataset: str, seed: int, folder: Path) -> None:
    """The memorization picture (closest generated/train pairs), as for trained variants."""
    pairs = ev.artifacts.get("closest_pairs")
    if pairs is None:
        return
    from ganbench.metrics import image_suite

    writer = getattr(image_suite, "save_closest_pairs", None)
    if callable(writer):
        writer(pairs, folder, f"{name} · {dataset} · seed {seed}: closest generated / train pairs")
