"""Reproduction protocols: published tables re-run through the suite's own harness
(`ganbench reproduce --list`, `ganbench reproduce NAME`)."""

from ganbench.reproduce.protocol import Cell, MetricDef, Protocol, Published
from ganbench.reproduce.protocols import PROTOCOLS, get_protocol, list_protocols
from ganbench.reproduce.runner import (
    REPRO_COLUMNS,
    ReproductionOutcome,
    format_protocol_list,
    reproduce,
)
from ganbench.reproduce.verdict import mean_and_se, verdict

__all__ = [
    "PROTOCOLS",
    "REPRO_COLUMNS",
    "Cell",
    "MetricDef",
    "Protocol",
    "Published",
    "ReproductionOutcome",
    "format_protocol_list",
    "get_protocol",
    "list_protocols",
    "mean_and_se",
    "reproduce",
    "verdict",
]
