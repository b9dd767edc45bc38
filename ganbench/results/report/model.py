"""The report's document model: plain blocks that sections.py assembles and html.py / markdown.py
render. A block is a paragraph (str), a Table, an Image, a Gallery or a nested Section."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Cell:
    text: str
    best: bool = False
    title: str = ""
    muted: bool = False  # greyed: a number that is not a result (its run did not converge)


@dataclass
class Table:
    headers: list[str]
    rows: list[list[Cell]]
    caption: str = ""
    collapsed: str = ""  # when set: a <details> block with this summary


@dataclass
class Image:
    path: Path  # absolute, for embedding
    caption: str = ""
    width: str = "100%"


@dataclass
class Gallery:
    images: list[Image]
    wide: bool = False  # fewer, wider cells (e.g. the closest-pairs strips)


@dataclass
class Section:
    title: str
    level: int = 2
    anchor: str = ""
    blocks: list[Any] = field(default_factory=list)


Block = str | Table | Image | Gallery | Section
