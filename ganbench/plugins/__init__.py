"""Evaluate anyone's model: `ganbench eval --generator MODULE:ATTR | path/to/file.py:ATTR` on a
generation dataset, `ganbench eval --translator MODULE:ATTR | path/to/file.py:ATTR` on a
translation dataset.

A generator ATTR may be
  * an `nn.Module` taking noise `G(z)`, z ~ N(0, I) of shape (n, latent_dim); latent_dim comes from
    an int attribute `latent_dim` (or `z_dim`, `nz`, `latent_size`, `noise_dim`) or `--latent-dim`;
  * a callable `sample(n, device) -> tensor`;
  * a factory (a class or a function with no required arguments; it may take `spec`, the dataset's
    DataSpec) returning either of the above.
Conditional generators: a module with `conditional = True` is called as `G(z, labels)`, a sampler
with a `labels` parameter as `sample(n, device, labels=labels)`; labels are int64 class indices
drawn uniformly from the dataset's classes, and the samples are scored like any others.

A translator ATTR may be an `nn.Module` called as `T(a)`, or `T(a, mask)` when its forward takes
two inputs; a callable `translate(a, mask=None)`; or a factory returning either. `mask` is the
inpainting hole (1 in the hole), None on other datasets. A callable attribute `translate_back(b)`
makes it two-way (cycle_l1 is scored).

Outputs are checked on every call (checks.py): a tensor (or NumPy array) of exactly n samples of the
dataset's shape; images as float in [-1, 1] or uint8 in 0..255 (converted to [-1, 1]); finite.

Timeout: each call into the plug-in (import, factory, every sampling or translating call) runs in a
daemon thread that is joined with `timeout`; past it the run is recorded as failed and the suite
moves on. Python cannot kill a thread, so the hung call is abandoned (it dies with the process) and
the plug-in is not called again for the remaining seeds. A subprocess could be killed, but would
copy every batch between processes and re-initialise CUDA and the plug-in per run; a thread keeps
the plug-in in-process (same device, same tensors) and cannot hang the suite.

Modules: loading (targets, names, import, timeouts, factories), checks (the output contract),
generators and translators (adapting each kind), evaluation (the per-seed rows). Every name is
re-exported here.
"""

from __future__ import annotations

from ganbench.plugins.checks import RANGE_TOLERANCE, check_output
from ganbench.plugins.evaluation import EvalOutcome, evaluate_generator, evaluate_translator
from ganbench.plugins.generators import LATENT_ATTRS, Adapted, adapt, make_checked_sampler
from ganbench.plugins.loading import (
    DEFAULT_TIMEOUT,
    NAME_RE,
    PluginError,
    PluginImportError,
    PluginTimeout,
    Target,
    call_with_timeout,
    check_name,
    is_factory,
    load_object,
    parse_target,
    required_params,
)
from ganbench.plugins.translators import (
    AdaptedTranslator,
    adapt_translator,
    make_checked_translator,
)

__all__ = [
    "DEFAULT_TIMEOUT",
    "LATENT_ATTRS",
    "NAME_RE",
    "RANGE_TOLERANCE",
    "Adapted",
    "AdaptedTranslator",
    "EvalOutcome",
    "PluginError",
    "PluginImportError",
    "PluginTimeout",
    "Target",
    "adapt",
    "adapt_translator",
    "call_with_timeout",
    "check_name",
    "check_output",
    "evaluate_generator",
    "evaluate_translator",
    "is_factory",
    "load_object",
    "make_checked_sampler",
    "make_checked_translator",
    "parse_target",
    "required_params",
]
