"""The report as Markdown: pictures referenced by path relative to the output folder."""

from __future__ import annotations

from pathlib import Path

from ganbench.results.report.model import Block, Cell, Gallery, Image, Section, Table


def _rel(path: Path, root: Path) -> str:
    try:
        return Path(path).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return Path(path).as_posix()


def _md_cell(c: Cell) -> str:
    text = c.text.replace("|", "\\|")
    if c.muted and text not in ("", "–"):
        text = f"_{text}_"  # Markdown has no grey: italics, with the row's "not converged" tag
    return f"**{text}** ★" if c.best else text


def _md_block(block: Block, out: Path) -> str:
    if isinstance(block, str):
        return block + "\n\n"
    if isinstance(block, Section):
        head = f"{'#' * block.level} {block.title}\n\n"
        return head + "".join(_md_block(b, out) for b in block.blocks)
    if isinstance(block, Table):
        headers = [h or " " for h in block.headers]
        lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
        lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in block.rows]
        text = "\n".join(lines) + "\n\n"
        if block.caption:
            text = f"{block.caption}\n\n" + text
        if block.collapsed:
            return f"<details><summary>{block.collapsed}</summary>\n\n{text}</details>\n\n"
        return text
    if isinstance(block, Image):
        cap = f"\n\n*{block.caption}*" if block.caption else ""
        return f"![{block.caption or block.path.name}]({_rel(block.path, out)}){cap}\n\n"
    if isinstance(block, Gallery):
        return (
            "".join(
                f'<img src="{_rel(i.path, out)}" alt="{i.caption}" title="{i.caption}" '
                'width="240"> '
                for i in block.images
            )
            + "\n\n"
            + " · ".join(i.caption for i in block.images)
            + "\n\n"
        )
    raise TypeError(type(block))


def render_md(sections: list[Section], out: Path, title: str) -> str:
    toc = " · ".join(f"[{s.title}](#{s.anchor})" for s in sections if s.anchor)
    return f"# {title}\n\n{toc}\n\n" + "".join(_md_block(s, out) for s in sections)
