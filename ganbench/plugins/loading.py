"""Finding plug-in code: the MODULE:ATTR / path/to/file.py:ATTR target, the --name check, importing
it, calling a factory, and calling any plug-in code under a timeout (the module docstring of
ganbench/plugins/__init__.py says why a thread)."""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import inspect
import re
import sys
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ganbench.core.errors import GanbenchError

DEFAULT_TIMEOUT = 60.0
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")


class PluginError(GanbenchError):
    """A plug-in generator or translator could not be loaded or returned something unusable
    (message: the problem and the fix)."""


class PluginTimeout(PluginError):
    pass


class PluginImportError(PluginError):
    """--generator / --translator names something that cannot be imported (missing file, module or
    attribute, a file that is not valid Python): a usage error (exit 2, nothing written), not a
    fault of the plug-in."""


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


def parse_target(text: str, flag: str = "--generator") -> Target:
    """'pkg.mod:attr' or 'path/to/file.py:attr'. Malformed text is a usage error."""
    source, sep, attr = text.rpartition(":")
    if not sep or not source or not attr:
        raise GanbenchError(
            f"{flag} {text!r}: expected MODULE:ATTR or path/to/file.py:ATTR, "
            "e.g. mypkg.models:generator or ./gen.py:G"
        )
    if not attr.replace(".", "_").isidentifier():
        raise GanbenchError(f"{flag} {text!r}: {attr!r} is not a Python attribute name")
    is_file = "/" in source or "\\" in source or source.endswith(".py") or Path(source).is_file()
    return Target(text, source, attr, is_file)


def check_name(name: str) -> str:
    if not NAME_RE.match(name):
        raise GanbenchError(f"--name {name!r}: use letters, digits and _ . + - only")
    from ganbench.registry import list_variants
    from ganbench.results.references import REFERENCE_VARIANT, RESERVED_NAMES

    if name == REFERENCE_VARIANT:
        raise GanbenchError(
            f"--name {name!r} is the held-out real data's reference row; pick another --name"
        )
    if name in RESERVED_NAMES:
        raise GanbenchError(f"--name {name!r} is a reference row's name; pick another --name")
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
    fn: Callable[..., Any],
    timeout: float | None,
    what: str,
    *args: Any,
    role: str = "generator",
    **kwargs: Any,
) -> Any:
    """fn(*args, **kwargs) in a daemon thread; PluginTimeout past `timeout` seconds, PluginError
    (with the traceback kept in `.plugin_traceback`) when it raises. `role` names the plug-in in
    the fix ("fix the generator")."""
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
            f"{what} raised {type(exc).__name__}: {exc}; fix the {role} "
            "(its traceback is in the run folder's traceback.txt)"
        )
        err.plugin_traceback = box.tb  # type: ignore[attr-defined]
        raise err
    return box.value


# --- loading -------------------------------------------------------------------------------------


def _import_file(path: Path, role: str = "generator") -> Any:
    flag = f"--{role}"
    if not path.exists():
        raise PluginImportError(
            f"{role} file {path} does not exist; check the path (relative paths "
            "are taken from the current folder)"
        )
    if path.is_dir():
        raise PluginImportError(
            f"{role} path {path} is a folder; pass a .py file, or the package "
            "as MODULE:ATTR with its parent folder on PYTHONPATH"
        )
    if path.suffix != ".py":
        raise PluginImportError(
            f"{role} file {path} is not a Python file (suffix "
            f"{path.suffix or 'none'!r}); pass a .py file or MODULE:ATTR"
        )
    try:
        source = path.read_bytes()
        compile(source, str(path), "exec")
    except (SyntaxError, ValueError, UnicodeDecodeError) as exc:
        where = f" (line {exc.lineno})" if isinstance(exc, SyntaxError) and exc.lineno else ""
        raise PluginImportError(
            f"{role} file {path} is not valid Python{where}: "
            f"{type(exc).__name__}: {getattr(exc, 'msg', exc)}; fix the file or "
            f"point {flag} at the right one"
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
            f"{role} file {path} imports {exc.name or str(exc)!r}, which is not installed; "
            "pip install it or add its folder to PYTHONPATH"
        ) from None
    except BaseException:
        sys.modules.pop(mod_name, None)
        raise
    return module


def _import_module(name: str, role: str = "generator") -> Any:
    try:
        return importlib.import_module(name)
    except SyntaxError as exc:
        where = f"{exc.filename}, line {exc.lineno}" if exc.lineno else str(exc.filename)
        raise PluginImportError(
            f"module {name!r} is not valid Python ({where}): {exc.msg}; fix the file or point "
            f"--{role} at the right one"
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


def load_object(
    target: Target, timeout: float | None = DEFAULT_TIMEOUT, role: str = "generator"
) -> Any:
    """Import the module or file and return ATTR (dotted attributes allowed)."""
    what = f"importing {target.source}"
    if target.is_file:
        importer, source = _import_file, Path(target.source)
    else:
        importer, source = _import_module, target.source
    module = call_with_timeout(importer, timeout, what, source, role, role=role)
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


# --- factories -----------------------------------------------------------------------------------


def required_params(fn: Any) -> tuple[int, set[str]] | None:
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


def is_factory(obj: Any) -> bool:
    """A class, or a function with no required arguments besides an optional `spec`."""
    if inspect.isclass(obj):
        return True
    params = required_params(obj)
    return params is not None and params[0] == 0


def build_if_factory(obj: Any, spec: Any, timeout: float | None, role: str, returns: str) -> Any:
    """obj itself, or what the factory obj(spec=...) returns (`returns` names what it should
    return, for the message when it returns another factory)."""
    from torch import nn

    if isinstance(obj, nn.Module) or not callable(obj) or not is_factory(obj):
        return obj
    params = required_params(obj)
    kwargs = {"spec": spec} if params and "spec" in params[1] else {}
    name = getattr(obj, "__name__", type(obj).__name__)
    made = call_with_timeout(obj, timeout, f"factory {name}()", role=role, **kwargs)
    if not isinstance(made, nn.Module) and callable(made) and is_factory(made):
        raise PluginError(f"factory {name}() returned another factory ({made!r}); return {returns}")
    return made
