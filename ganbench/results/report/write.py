"""`write_report`: the sections of an output folder, rendered to report.html and report.md."""

from __future__ import annotations

import os
from pathlib import Path

from ganbench.core.io import write_text_atomic
from ganbench.results.report.data import load
from ganbench.results.report.html import render_html
from ganbench.results.report.markdown import render_md
from ganbench.results.report.sections import build

ASSETS = "report_assets"  # the figures, beside the report


def write_report(out: Path, title: str = "ganbench report") -> tuple[Path, Path]:
    """Write out/report.html and out/report.md from the results under `out`."""
    out = Path(out)
    rd = load(out)
    assets = out / ASSETS
    sections = build(rd, assets)
    html_path, md_path = out / "report.html", out / "report.md"
    write_text_atomic(html_path, render_html(sections, out, title))
    write_text_atomic(md_path, render_md(sections, out, title))
    umask = os.umask(0)
    os.umask(umask)
    for p in (html_path, md_path):  # readable like any file the user writes (mkstemp: 0600)
        p.chmod(0o666 & ~umask)
    return html_path, md_path
