"""`ganbench report DIR`: DIR/report.html (one self-contained file: inline CSS, pictures embedded as
base64 data URIs, no external requests) and DIR/report.md (pictures referenced by relative path).

Per dataset: the leaderboard (mean ± 95% CI across seeds, best value per metric marked), bar charts
with CI whiskers, quality against cost, sample pictures of every variant side by side, the closest
generated/train pairs of the worst memorization offenders, loss curves and failed runs; then the run
metadata. Metric columns are discovered from the leaderboards; their direction comes from
ganbench.core.directions, the ranking from ganbench.results.ranking.

One job per module:
  model.py       the document: Cell, Table, Image, Gallery, Section (a block is one of these or a str)
  formatting.py  numbers and mean ± CI as the tables print them
  data.py        load the leaderboards of an output folder; find the run files beside them
  tables.py      the leaderboard table and the failed-runs table
  plots.py       the figures (matplotlib, one PNG each)
  sections.py    the sections: one per dataset (one function per part), then metadata
  reproduction.py  a reproduce folder's published table beside ours
  metadata.py    the run-metadata section
  html.py        render to one self-contained HTML file
  markdown.py    render to Markdown
  write.py       write_report: load, build, render, write
"""

from ganbench.results.ranking import (
    HEADLINE,
    best_rows,
    constant_metrics,
    converged_means,
    not_converged,
)
from ganbench.results.report.data import ReportData, load, summary_metrics
from ganbench.results.report.html import CSS, render_html
from ganbench.results.report.markdown import render_md
from ganbench.results.report.metadata import metadata_section
from ganbench.results.report.model import Cell, Gallery, Image, Section, Table
from ganbench.results.report.sections import (
    CURVE_METRICS,
    HIDDEN_IN_BARS,
    MEMORIZATION,
    N_OFFENDERS,
    build,
    dataset_section,
)
from ganbench.results.report.tables import NOT_CONVERGED, NOT_CONVERGED_NOTE
from ganbench.results.report.write import ASSETS, write_report

__all__ = [
    "ASSETS",
    "CSS",
    "CURVE_METRICS",
    "HEADLINE",
    "HIDDEN_IN_BARS",
    "MEMORIZATION",
    "NOT_CONVERGED",
    "NOT_CONVERGED_NOTE",
    "N_OFFENDERS",
    "Cell",
    "Gallery",
    "Image",
    "ReportData",
    "Section",
    "Table",
    "best_rows",
    "build",
    "constant_metrics",
    "converged_means",
    "dataset_section",
    "load",
    "metadata_section",
    "not_converged",
    "render_html",
    "render_md",
    "summary_metrics",
    "write_report",
]
