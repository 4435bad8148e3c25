"""The report's photos and documents as HTML: every publication, withdrawal and reordering of the
lot's files with its time and SHA-256, then the files public at the report's end, so that an
auditor holding a copy of a document can show it was the one published, and when."""

from __future__ import annotations

import html
from typing import Any

FILE_COLUMNS = (
    "position",
    "at",
    "act",
    "kind",
    "sha256",
    "size",
    "media_type",
    "label",
    "reason",
    "official",
    "office",
)


def _cell(value: Any) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    return html.escape(str(value))


def files_html(report: dict[str, Any]) -> str:
    """The section of one auction's report (empty for a report without files)."""
    lines = report.get("files") or []
    if not lines:
        return ""
    rows = []
    for line in lines:
        label = line.get("alt") or line.get("title")
        if line.get("act") == "ordered":
            label = ", ".join(line.get("order", []))
        values = {**line, "label": label}
        rows.append("<tr>" + "".join(f"<td>{_cell(values.get(c))}</td>" for c in FILE_COLUMNS) + "</tr>")
    head = "".join(f'<th scope="col">{html.escape(c.replace("_", " "))}</th>' for c in FILE_COLUMNS)
    published = report.get("published") or {}
    public = [
        f"<li>{html.escape(kind)}: {_cell(f.get('alt') or f.get('title'))}, {_cell(f.get('size'))} bytes, "
        f"SHA-256 <code>{_cell(f.get('sha256'))}</code>, published {_cell(f.get('published_at'))}</li>"
        for kind in ("photo", "document")
        for f in published.get(kind, [])
    ]
    return (
        "<h3>Photos and documents</h3>"
        f"<table><caption>Photos and documents</caption><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody>"
        "</table><h4>Public at the report's end</h4>" + (f"<ul>{''.join(public)}</ul>" if public else "<p>None.</p>")
    )
