"""The Image card and friends as MIME bundles: what a registered image looks like in any front end.

`image_mimebundle(image)` is what `Image._repr_mimebundle_` returns:

- `application/vnd.modelarts.image+json`: the Image as JSON, drawn by our JupyterLab extension
  (themed like the rest of the Lab, and still drawn in a saved notebook reopened with no kernel);
- `text/html`: a self-contained card for every other front end (Notebook 7, VS Code, nbviewer,
  GitHub). Inline styles only, no scripts, no external assets. Colours are either solid badges
  with white text or semi-transparent tints over `color: inherit`, so the card reads on light and
  dark backgrounds alike. Static renderers strip some or all CSS, so the structure is plain
  semantic HTML (a heading, a table with `<th>` labels, `<code>`) that still reads without it,
  and the status is spelled out, never shown by colour alone;
- `text/plain`: a few lines for terminals and logs.

Every value from the service is escaped (`html.escape`) and control characters are made visible in
plain text: the service's answer is data, never markup. Only the standard library is imported here,
so that displaying an image costs next to nothing.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .models import Image

__all__ = [
    "IMAGE_MIME_TYPE",
    "format_size",
    "format_time",
    "image_html",
    "image_mimebundle",
    "image_text",
    "images_table",
    "request_preview",
    "status_state",
]

#: The MIME type our JupyterLab extension renders.
IMAGE_MIME_TYPE = "application/vnd.modelarts.image+json"

# Kept in step with models.DEV_SERVICE_OFFERS by a test; copied so that this module imports no pydantic.
_DEV_SERVICE_OFFERS = {
    "NOTEBOOK": "open JupyterLab over HTTPS",
    "SSH": "connect from a local IDE",
}

_STATUS_STATES = {
    "ACTIVE": "ok",
    "INIT": "progress",
    "CREATING": "progress",
    "CREATE_FAILED": "failed",
    "ERROR": "failed",
    "DELETED": "deleted",
}

# Solid badge colours with white text: each has at least 4.5:1 contrast with white and stands out
# on a white page and on a dark one alike.
_BADGE_COLOURS = {
    "ok": "#1a7f37",
    "progress": "#0969da",
    "failed": "#cf222e",
    "deleted": "#6e7781",
}
_STATUS_TITLES = {
    "ok": "The image is registered and ready to use",
    "progress": "The image is being registered; it is not usable yet",
    "failed": "Registration failed",
    "deleted": "The image has been deleted",
    "unknown": "A status this version does not know",
}
_STATUS_MARKS = {"ok": "●", "progress": "◔", "failed": "✕", "deleted": "○", "unknown": "?"}

_BINARY_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")

# Inline styles shared by the card, the table and the request preview.
_BOX = (
    "font-family:inherit;color:inherit;max-width:760px;box-sizing:border-box;"
    "border:1px solid rgba(128,128,128,0.45);border-radius:8px;padding:12px 14px;"
    "margin:4px 0;background:rgba(128,128,128,0.06);line-height:1.45"
)
_MUTED = "opacity:0.75"
_TH = (
    "text-align:left;font-weight:600;padding:2px 14px 2px 0;vertical-align:top;"
    "white-space:nowrap;opacity:0.8;border:none;background:transparent"
)
_TD = "text-align:left;padding:2px 0;vertical-align:top;border:none;background:transparent"
_CODE = (
    "font-family:SFMono-Regular,Menlo,Consolas,'Liberation Mono',monospace;font-size:0.92em;"
    "word-break:break-all;background:rgba(128,128,128,0.14);border-radius:4px;padding:0 4px;"
    "color:inherit"
)
_CHIP = (
    "display:inline-block;margin:2px 6px 2px 0;padding:1px 8px;border-radius:999px;"
    "border:1px solid rgba(128,128,128,0.5);background:rgba(128,128,128,0.12);color:inherit;"
    "font-size:0.92em;white-space:nowrap"
)
_CHIP_UNKNOWN = _CHIP.replace("solid", "dashed")


# ---------------------------------------------------------------------------------------------
# Small formatting helpers
# ---------------------------------------------------------------------------------------------


def _text(value: Any) -> str | None:
    """A value as display text, or None when it is absent or empty."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, int, float)):
        return str(value)
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return str(value)


def _items(value: Any) -> list[str]:
    """A list field as texts; a lone value counts as a one-item list."""
    if value is None:
        return []
    values = value if isinstance(value, (list, tuple)) else [value]
    return [text for text in (_text(item) for item in values) if text is not None]


def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _plain(value: Any) -> str:
    """Text safe for a terminal: control characters (ANSI escapes, line breaks) shown as escapes."""
    text = str(value)
    text = text.replace("\r", "\\r").replace("\n", "\\n").replace("\t", " ")
    return _CONTROL_RE.sub(lambda m: repr(m.group())[1:-1], text)


def status_state(status: Any) -> str:
    """The group of a status value: ok, progress, failed, deleted, or unknown."""
    text = _text(status)
    return _STATUS_STATES.get(text.upper(), "unknown") if text else "unknown"


def format_size(value: Any) -> str | None:
    """Bytes in binary units, e.g. 3376133259 -> '3.14 GiB'; None when not a number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            return None
    if not isinstance(value, (int, float)) or value < 0 or value != value:
        return None
    size = float(value)
    unit = 0
    while size >= 1024 and unit < len(_BINARY_UNITS) - 1:
        size /= 1024
        unit += 1
    return f"{int(value)} B" if unit == 0 else f"{size:.2f} {_BINARY_UNITS[unit]}"


def _parse_time(value: Any) -> datetime | None:
    """Epoch milliseconds (as the API sends), epoch seconds or ISO text as an aware datetime."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, str):
        text = value.strip()
        try:
            value = float(text)
        except ValueError:
            try:
                parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                return None
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    # Below 1e11 a value can only be seconds (1e11 ms is March 1973).
    seconds = value if value < 1e11 else value / 1000
    try:
        return datetime.fromtimestamp(seconds, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


def format_time(value: Any) -> tuple[str, str] | None:
    """(readable UTC text, ISO 8601) for a timestamp, e.g. ('2022-12-22 11:30:30 UTC', '2022-...Z')."""
    moment = _parse_time(value)
    if moment is None:
        return None
    moment = moment.astimezone(timezone.utc)
    iso = moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC"), iso


def _data(image: Image | Mapping[str, Any]) -> dict[str, Any]:
    """The image as plain JSON data (an `Image` or a mapping as the service sent it)."""
    if isinstance(image, Mapping):
        return dict(image)
    return image.to_json()


def _display_name(data: Mapping[str, Any]) -> str:
    name, tag = _text(data.get("name")), _text(data.get("tag"))
    if name and tag:
        return f"{name}:{tag}"
    return name or _text(data.get("show_name")) or _text(data.get("swr_path")) or _text(data.get("id")) or "?"


# ---------------------------------------------------------------------------------------------
# The card
# ---------------------------------------------------------------------------------------------


def _badge(status: str | None, big: bool = False) -> str:
    state = status_state(status)
    label = status or "UNKNOWN"
    size = "font-size:0.85em;padding:2px 10px" if big else "font-size:0.8em;padding:1px 8px"
    colour = _BADGE_COLOURS.get(state)
    if colour:
        look = f"background:{colour};color:#ffffff;border:1px solid {colour}"
    else:  # an unknown status: outlined in the text colour, readable on any background
        look = "background:transparent;color:inherit;border:1px dashed currentColor"
    return (
        f'<span class="modelarts-status modelarts-status-{state}" data-status="{_esc(label)}" '
        f'title="{_esc(_STATUS_TITLES[state])}" style="display:inline-block;border-radius:999px;'
        f'font-weight:600;letter-spacing:0.02em;white-space:nowrap;{size};{look}">'
        f"{_STATUS_MARKS[state]} {_esc(label)}</span>"
    )


def _chip(service: str) -> str:
    offer = _DEV_SERVICE_OFFERS.get(service.upper())
    if offer:
        return (
            f'<span class="modelarts-chip" data-service="{_esc(service)}" style="{_CHIP}">'
            f"<strong>{_esc(service)}</strong> · {_esc(offer)}</span> "
        )
    return (
        f'<span class="modelarts-chip modelarts-chip-unknown" data-service="{_esc(service)}" '
        f'title="A development service this version does not know" style="{_CHIP_UNKNOWN}">'
        f"<strong>{_esc(service)}</strong></span> "
    )


def _wide_row(label: str, value_html: str, field: str) -> str:
    return (
        f'<tr data-field="{field}"><th style="{_TH}">{label}</th>'
        f'<td colspan="3" style="{_TD}">{value_html}</td></tr>'
    )


def _pair_rows(cells: list[tuple[str, str, str]]) -> list[str]:
    """Short fields two to a row (label, value, label, value): half the height, still a plain table."""
    rows = []
    for start in range(0, len(cells), 2):
        pair = cells[start : start + 2]
        html_cells = "".join(
            f'<th style="{_TH}">{label}</th><td data-field="{field}" style="{_TD};padding-right:22px">'
            f"{value}</td>"
            for label, value, field in pair
        )
        if len(pair) == 1:
            html_cells += f'<th style="{_TH}"></th><td style="{_TD}"></td>'
        rows.append(f"<tr>{html_cells}</tr>")
    return rows


def _message(state: str, text: str) -> str:
    tint = {"failed": "207,34,46", "progress": "9,105,218"}.get(state, "128,128,128")
    return (
        f'<div class="modelarts-message" style="margin:8px 0 4px;padding:6px 10px;'
        f"border-left:4px solid rgb({tint});background:rgba({tint},0.12);border-radius:4px;"
        f'color:inherit;white-space:pre-wrap;word-break:break-word">'
        f"<strong>{'Why it failed' if state == 'failed' else 'Status'}:</strong> {_esc(text)}</div>"
    )


def image_html(image: Image | Mapping[str, Any]) -> str:
    """The self-contained HTML card of one image (inline styles, every value escaped)."""
    data = _data(image)
    status = _text(data.get("status"))
    state = status_state(status)
    parts = [
        f'<div class="modelarts-image-card" data-status="{_esc(status or "")}" '
        f'data-state="{state}" style="{_BOX}">'
    ]
    namespace = _text(data.get("namespace"))
    parts.append(
        '<div style="display:flex;flex-wrap:wrap;align-items:baseline;gap:4px 12px;'
        'justify-content:space-between">'
        f'<div><strong class="modelarts-title" style="font-size:1.15em;word-break:break-all">'
        f"{_esc(_display_name(data))}</strong>"
        + (
            f' <span class="modelarts-namespace" style="{_MUTED};white-space:nowrap">'
            f"in namespace <strong>{_esc(namespace)}</strong></span>"
            if namespace
            else ""
        )
        + f"</div><div>{_badge(status, big=True)}</div></div>"
    )
    message = _text(data.get("status_message"))
    if message:
        parts.append(_message(state, message))
    elif state == "progress":
        parts.append(
            f'<div style="{_MUTED};font-size:0.9em;margin-top:2px">'
            "Being registered: not usable until it is ACTIVE.</div>"
        )
    description = _text(data.get("description"))
    if description:
        parts.append(
            '<div class="modelarts-description" style="margin:6px 0 2px;white-space:pre-wrap;'
            f'word-break:break-word">{_esc(description)}</div>'
        )

    rows: list[str] = []
    image_id = _text(data.get("id"))
    if image_id:
        rows.append(_wide_row("ID", f'<code style="{_CODE}">{_esc(image_id)}</code>', "id"))
    services = _items(data.get("dev_services"))
    rows.append(
        _wide_row(
            "Dev services",
            "".join(_chip(s) for s in services)
            if services
            else f'<span style="{_MUTED}">none (no notebook access)</span>',
            "dev_services",
        )
    )
    short: list[tuple[str, str, str]] = []
    categories = _items(data.get("resource_categories")) or _items(data.get("support_res_categories"))
    if categories:
        short.append(("Resources", _esc(", ".join(categories)), "resource_categories"))
    for label, field in (
        ("Arch", "arch"),
        ("Service type", "service_type"),
        ("Visibility", "visibility"),
        ("Origin", "origin"),
        ("Type", "type"),
        ("Workspace", "workspace_id"),
    ):
        value = _text(data.get(field))
        if value is not None:
            short.append((label, _esc(value), field))
    raw_size = data.get("size")
    size = format_size(raw_size)
    if size is not None:
        short.append(("Size", f'<span title="{_esc(raw_size)} bytes">{_esc(size)}</span>', "size"))
    elif _text(raw_size) is not None:
        short.append(("Size", _esc(_text(raw_size)), "size"))
    rows += _pair_rows(short)
    times: list[tuple[str, str, str]] = []
    for label, field in (("Created", "create_at"), ("Updated", "update_at")):
        when = format_time(data.get(field))
        if when is not None:
            times.append((label, f'<span title="{_esc(when[1])}">{_esc(when[0])}</span>', field))
        elif _text(data.get(field)) is not None:
            times.append((label, _esc(_text(data.get(field))), field))
    rows += _pair_rows(times)
    swr_path = _text(data.get("swr_path"))
    if swr_path:
        rows.append(_wide_row("SWR path", f'<code style="{_CODE}">{_esc(swr_path)}</code>', "swr_path"))
    parts.append(
        '<table class="modelarts-fields" style="border-collapse:collapse;border:none;margin:8px 0 0;'
        f'background:transparent;color:inherit;font-size:0.95em">{"".join(rows)}</table>'
    )
    parts.append("</div>")
    return "".join(parts)


def image_text(image: Image | Mapping[str, Any]) -> str:
    """A few plain lines: name, status (and why it failed), id, swr_path, dev services."""
    data = _data(image)
    status = _text(data.get("status")) or "UNKNOWN"
    lines = [f"Image {_plain(_display_name(data))} [{_plain(status)}]"]
    message = _text(data.get("status_message"))
    if message:
        lines.append(f"  message:  {_plain(message)}")
    lines.append(f"  id:       {_plain(_text(data.get('id')) or '?')}")
    swr_path = _text(data.get("swr_path"))
    if swr_path:
        lines.append(f"  swr_path: {_plain(swr_path)}")
    services = _items(data.get("dev_services"))
    if services:
        described = [
            f"{s} ({_DEV_SERVICE_OFFERS[s.upper()]})" if s.upper() in _DEV_SERVICE_OFFERS else s
            for s in services
        ]
        lines.append(f"  services: {_plain(', '.join(described))}")
    return "\n".join(lines)


def _wanted(mime: str, include: Iterable[str] | None, exclude: Iterable[str] | None) -> bool:
    if include is not None and mime not in include:
        return False
    return not (exclude is not None and mime in exclude)


def image_mimebundle(
    image: Image | Mapping[str, Any],
    include: Iterable[str] | None = None,
    exclude: Iterable[str] | None = None,
) -> dict[str, Any]:
    """The image as a MIME bundle: our JSON type, an HTML card and plain text (honouring include/exclude)."""
    include = set(include) if include is not None else None
    exclude = set(exclude) if exclude is not None else None
    makers = (
        (IMAGE_MIME_TYPE, _data),
        ("text/html", image_html),
        ("text/plain", image_text),
    )
    return {mime: make(image) for mime, make in makers if _wanted(mime, include, exclude)}


# ---------------------------------------------------------------------------------------------
# A list of images (%modelarts images)
# ---------------------------------------------------------------------------------------------

_TABLE_COLUMNS = (
    ("Image", "name"),
    ("Status", "status"),
    ("Dev services", "dev_services"),
    ("Service type", "service_type"),
    ("Arch", "arch"),
    ("Size", "size"),
    ("Created", "create_at"),
    ("ID", "id"),
)


def _cell_texts(data: Mapping[str, Any]) -> dict[str, str]:
    created = format_time(data.get("create_at"))
    name = _display_name(data)
    return {
        "name": name if len(name) <= 64 else name[:63] + "…",
        "status": _text(data.get("status")) or "UNKNOWN",
        "dev_services": ", ".join(_items(data.get("dev_services"))) or "-",
        "service_type": _text(data.get("service_type")) or "-",
        "arch": _text(data.get("arch")) or "-",
        "size": format_size(data.get("size")) or _text(data.get("size")) or "-",
        "create_at": created[0][:16] if created else "-",
        "id": _text(data.get("id")) or "-",
    }


def images_table(images: Sequence[Image | Mapping[str, Any]], title: str | None = None) -> dict[str, Any]:
    """A list of images as a MIME bundle: an HTML table and an aligned plain-text table."""
    rows = [_data(image) for image in images]
    heading = title if title is not None else f"{len(rows)} image{'s' if len(rows) != 1 else ''}"
    texts = [_cell_texts(row) for row in rows]

    th = "text-align:left;padding:3px 10px;border-bottom:1px solid rgba(128,128,128,0.5);white-space:nowrap"
    td = "text-align:left;padding:3px 10px;border:none;vertical-align:top"
    head = "".join(f'<th style="{th}">{label}</th>' for label, _ in _TABLE_COLUMNS)
    body = []
    for number, (row, cells) in enumerate(zip(rows, texts, strict=True)):
        stripe = "background:rgba(128,128,128,0.07)" if number % 2 else "background:transparent"
        out = []
        for _, key in _TABLE_COLUMNS:
            if key == "status":
                value = _badge(_text(row.get("status")))
            elif key == "dev_services":
                value = _esc(cells[key])
            elif key == "size" and format_size(row.get("size")):
                value = f'<span title="{_esc(row.get("size"))} bytes">{_esc(cells[key])}</span>'
            elif key == "create_at" and format_time(row.get("create_at")):
                iso = format_time(row.get("create_at"))[1]  # type: ignore[index]
                value = f'<span title="{_esc(iso)}">{_esc(cells[key])}</span>'
            elif key == "id":
                value = f'<code style="{_CODE}">{_esc(cells[key])}</code>'
            elif key == "name":
                value = f'<strong style="word-break:break-all">{_esc(_display_name(row))}</strong>'
            else:
                value = _esc(cells[key])
            out.append(f'<td style="{td}">{value}</td>')
        body.append(f'<tr style="{stripe}">{"".join(out)}</tr>')
    empty = f'<div style="{_MUTED};padding:4px 0">No images.</div>' if not rows else ""
    html_text = (
        f'<div class="modelarts-image-table" style="{_BOX};max-width:none;overflow-x:auto">'
        f'<div style="font-weight:600;margin-bottom:4px">{_esc(heading)}</div>'
        '<table style="border-collapse:collapse;border:none;background:transparent;color:inherit;'
        f'font-size:0.92em"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'
        f"{empty}</div>"
    )

    labels = [label for label, _ in _TABLE_COLUMNS]
    keys = [key for _, key in _TABLE_COLUMNS]
    matrix = [[_plain(cells[key]) for key in keys] for cells in texts]
    widths = [max([len(labels[i])] + [len(r[i]) for r in matrix]) for i in range(len(keys))]
    line = "  ".join(label.ljust(widths[i]) for i, label in enumerate(labels)).rstrip()
    plain_lines = [_plain(heading), line, "  ".join("-" * w for w in widths)]
    plain_lines += ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(r)).rstrip() for r in matrix]
    if not rows:
        plain_lines = [_plain(heading), "No images."]
    return {"text/html": html_text, "text/plain": "\n".join(plain_lines)}


# ---------------------------------------------------------------------------------------------
# A dry-run request
# ---------------------------------------------------------------------------------------------


def _pretty_body(body: Any) -> str:
    if body is None or body == b"" or body == "":
        return ""
    if isinstance(body, (bytes, bytearray)):
        try:
            body = body.decode("utf-8")
        except UnicodeDecodeError:
            return f"<{len(body)} bytes of binary data>"
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:
            return body
    return json.dumps(body, indent=2, ensure_ascii=False, default=str)


def request_preview(
    description: Mapping[str, Any], title: str = "Dry run: nothing was sent"
) -> dict[str, Any]:
    """A request (method, URL, already-masked headers, body) as a MIME bundle, for `--dry-run`."""
    method = str(description.get("method") or "?")
    url = str(description.get("url") or "?")
    raw_headers = description.get("headers") or {}
    headers = list(raw_headers.items()) if isinstance(raw_headers, Mapping) else list(raw_headers)
    body = _pretty_body(description.get("body"))
    lines = [_plain(f"{method} {url}")] + [_plain(f"{name}: {value}") for name, value in headers]
    if body:
        lines += ["", _CONTROL_RE.sub(lambda m: repr(m.group())[1:-1], body)]
    plain = "\n".join(lines)

    pre = (
        "margin:6px 0 0;padding:8px 10px;border-radius:6px;background:rgba(128,128,128,0.12);"
        "color:inherit;font-family:SFMono-Regular,Menlo,Consolas,'Liberation Mono',monospace;"
        "font-size:0.9em;white-space:pre-wrap;word-break:break-all;overflow-x:auto"
    )
    header_html = "".join(
        f'<span style="opacity:0.8">{_esc(name)}:</span> {_esc(value)}\n' for name, value in headers
    )
    html_text = (
        f'<div class="modelarts-request-preview" style="{_BOX}">'
        f'<div style="font-weight:600">{_esc(title)}</div>'
        f'<pre style="{pre}"><strong>{_esc(method)}</strong> {_esc(url)}\n{header_html}'
        + (f"\n{_esc(body)}" if body else "")
        + "</pre></div>"
    )
    return {"text/html": html_text, "text/plain": f"{title}\n{plain}"}
