"""The report as one self-contained HTML file: inline CSS, pictures embedded as base64 data URIs,
no external requests."""

from __future__ import annotations

import base64
import html
from pathlib import Path

from ganbench.results.report.model import Block, Cell, Gallery, Image, Section, Table

CSS = """
body{font:14px/1.45 -apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#222;
max-width:1280px;margin:0 auto;padding:16px 24px;background:#fff}
h1{font-size:24px;margin:8px 0 4px}h2{font-size:20px;border-bottom:2px solid #4c72b0;
padding-bottom:3px;margin-top:36px}h3{font-size:16px;margin:22px 0 8px;color:#333}
nav a{margin-right:14px}p{margin:6px 0 10px}.muted{color:#666}
table{border-collapse:collapse;margin:8px 0 12px;font-size:13px}
th,td{border:1px solid #ddd;padding:4px 8px;text-align:right;white-space:nowrap}
th{background:#f0f3f8;position:sticky;top:0}td:nth-child(2),th:nth-child(2){text-align:left}
tr:nth-child(even) td{background:#fafafa}td.best{font-weight:700;background:#fdecea !important}
td.best::after{content:" ★";color:#d62728}.wrap td{white-space:normal;text-align:left}
.scroll{overflow-x:auto}figure{margin:8px 0}figcaption{font-size:12px;color:#555}
.gallery{display:grid;grid-template-columns:repeat(auto-fill,minmax(250px,1fr));gap:10px}
.gallery figure{margin:0;border:1px solid #eee;padding:4px;text-align:center}
.gallery img{width:100%;height:auto}img{max-width:100%}
.gallery.wide{grid-template-columns:repeat(auto-fill,minmax(560px,1fr))}
td:nth-child(2){position:sticky;left:0;background:#fff;font-weight:600}
details summary{cursor:pointer;color:#4c72b0;margin:6px 0}
td.nc,td.nc:nth-child(2){color:#9a9a9a;font-weight:400}
"""


def _img_src_html(path: Path) -> str:
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return f"data:image/png;base64,{data}"


def _td_class(c: Cell) -> str:
    names = [n for n, on in (("best", c.best), ("nc", c.muted)) if on]
    if len(names) > 1:
        return f' class="{" ".join(names)}"'
    return f" class={names[0]}" if names else ""


def _html_block(block: Block, out: Path) -> str:
    e = html.escape
    if isinstance(block, str):
        return f"<p>{e(block)}</p>"
    if isinstance(block, Section):
        aid = f' id="{e(block.anchor)}"' if block.anchor else ""
        head = f"<h{block.level}{aid}>{e(block.title)}</h{block.level}>"
        return head + "".join(_html_block(b, out) for b in block.blocks)
    if isinstance(block, Table):
        wrap = " wrap" if block.headers == ["", ""] or "reason" in block.headers else ""
        th = "".join(f"<th>{e(h)}</th>" for h in block.headers) if any(block.headers) else ""
        body = "".join(
            "<tr>"
            + "".join(
                f"<td{_td_class(c)}"
                f"{f' title={chr(34)}{e(c.title)}{chr(34)}' if c.title else ''}>{e(c.text)}</td>"
                for c in row
            )
            + "</tr>"
            for row in block.rows
        )
        cap = f"<caption class=muted>{e(block.caption)}</caption>" if block.caption else ""
        t = (
            f'<div class="scroll{wrap}"><table>{cap}<thead><tr>{th}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>"
        )
        if block.collapsed:
            return f"<details><summary>{e(block.collapsed)}</summary>{t}</details>"
        return t
    if isinstance(block, Image):
        cap = f"<figcaption>{e(block.caption)}</figcaption>" if block.caption else ""
        alt = e(block.caption or block.path.name)
        return (
            f'<figure><img src="{_img_src_html(block.path)}" alt="{alt}"'
            f' style="width:{block.width}">{cap}</figure>'
        )
    if isinstance(block, Gallery):
        figs = "".join(
            f'<figure><img src="{_img_src_html(i.path)}" alt="{e(i.caption)}"><figcaption>'
            f"{e(i.caption)}</figcaption></figure>"
            for i in block.images
        )
        return f'<div class="gallery{" wide" if block.wide else ""}">{figs}</div>'
    raise TypeError(type(block))


def render_html(sections: list[Section], out: Path, title: str) -> str:
    nav = " ".join(
        f'<a href="#{html.escape(s.anchor)}">{html.escape(s.title)}</a>'
        for s in sections
        if s.anchor
    )
    body = "".join(_html_block(s, out) for s in sections)
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title>"
        f'<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<style>{CSS}</style></head><body><h1>{html.escape(title)}</h1>"
        f'<p class="muted">{html.escape(str(out.resolve()))}</p><nav>{nav}</nav>{body}'
        "</body></html>\n"
    )
