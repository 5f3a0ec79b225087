"""Small inline SVG charts for the admin: no JavaScript, no CDN, no library.

Every function returns a ``SafeString`` of one ``<svg>`` element; every piece of text
in it is escaped. Colours come from CSS classes (``static/admin-extra/admin.css``) so
that the admin's light and dark themes both read well; text uses ``currentColor``.
"""

from __future__ import annotations

import math

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

FONT = 'font-size="11" fill="currentColor"'


def _svg(width: int, height: int, label: str, body: list[str]) -> SafeString:
    return mark_safe(
        f'<svg class="admin-chart" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(label)}"><title>{escape(label)}</title>'
        + "".join(body)
        + "</svg>"
    )


def _nice_max(value: float) -> float:
    """A round axis maximum at or above ``value`` (1, 2, 5 × 10^n)."""
    if value <= 0:
        return 1
    exponent = math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        top = step * 10**exponent
        if top >= value:
            return top
    return 10 ** (exponent + 1)  # pragma: no cover - the loop always returns


def _number(value: float) -> str:
    return f"{value:g}" if abs(value) >= 0.01 or value == 0 else f"{value:.1e}"


def bar_chart(
    labels: list[str],
    series: list[tuple[str, list[float], str]],
    *,
    title: str,
    width: int = 640,
    height: int = 200,
) -> SafeString:
    """Grouped bars: one group per label, one bar per ``(name, values, css_class)``."""
    left, right, top, bottom = 34, 8, 24, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = _nice_max(max([v for _, values, _ in series for v in values] or [0]))
    group_w = plot_w / max(len(labels), 1)
    bar_w = max(group_w * 0.8 / max(len(series), 1), 1)
    body = []
    for fraction in (0, 0.5, 1):
        y = top + plot_h * (1 - fraction)
        body.append(
            f'<line class="grid" x1="{left}" x2="{width - right}" '
            f'y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" {FONT}>'
            f"{_number(peak * fraction)}</text>"
        )
    every = max(1, math.ceil(len(labels) / 7))
    for i, label in enumerate(labels):
        x0 = left + i * group_w + group_w * 0.1
        for j, (name, values, css) in enumerate(series):
            value = values[i]
            bar_h = plot_h * value / peak
            x, y = x0 + j * bar_w, top + plot_h - bar_h
            tip = f"{escape(label)}: {escape(name)} {_number(value)}"
            body.append(
                f'<rect class="{escape(css)}" x="{x:.1f}" y="{y:.1f}"'
                f' width="{bar_w:.1f}" height="{bar_h:.1f}">'
                f"<title>{tip}</title></rect>"
            )
        if (len(labels) - 1 - i) % every == 0:  # the latest label always shows
            body.append(
                f'<text x="{left + (i + 0.5) * group_w:.1f}" y="{height - bottom + 14}"'
                f' text-anchor="middle" {FONT}>{escape(label)}</text>'
            )
    x = left
    for name, _, css in series:
        body.append(
            f'<rect class="{escape(css)}" x="{x}" y="6" width="10" height="10"/>'
            f'<text x="{x + 14}" y="15" {FONT}>{escape(name)}</text>'
        )
        x += 20 + 7 * len(name)
    return _svg(width, height, title, body)


def line_chart(
    series: list[tuple[str, list[tuple[float, float]], str]],
    *,
    title: str,
    y_label: str = "",
    width: int = 320,
    height: int = 180,
    y_max: float | None = None,
) -> SafeString:
    """Lines through ``(x, y)`` points, one per ``(name, points, css_class)``."""
    left, right, top, bottom = 40, 8, 24, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    points = [p for _, pts, _ in series for p in pts if math.isfinite(p[1])]
    if not points:
        return _svg(
            width,
            height,
            title,
            [f'<text x="{left}" y="{height / 2}" {FONT}>no data</text>'],
        )
    x_min, x_max = min(p[0] for p in points), max(p[0] for p in points)
    x_span = (x_max - x_min) or 1
    peak = y_max if y_max is not None else _nice_max(max(p[1] for p in points))

    def xy(x, y):
        return (
            left + plot_w * (x - x_min) / x_span,
            top + plot_h * (1 - min(max(y, 0), peak) / peak),
        )

    body = []
    for fraction in (0, 0.5, 1):
        y = top + plot_h * (1 - fraction)
        body.append(
            f'<line class="grid" x1="{left}" x2="{width - right}" '
            f'y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" {FONT}>'
            f"{_number(peak * fraction)}</text>"
        )
    body.append(
        f'<text x="{left}" y="{height - 8}" {FONT}>{_number(x_min)}</text>'
        f'<text x="{width - right}" y="{height - 8}" text-anchor="end" {FONT}>'
        f"{_number(x_max)}</text>"
        f'<text x="{left + plot_w / 2:.1f}" y="{height - 8}" text-anchor="middle" '
        f"{FONT}>{escape(y_label)}</text>"
    )
    x = left
    for name, pts, css in series:
        finite = [p for p in pts if math.isfinite(p[1])]
        coords = " ".join(f"{a:.1f},{b:.1f}" for a, b in (xy(*p) for p in finite))
        if len(finite) > 1:
            body.append(f'<polyline class="{escape(css)}" points="{coords}"/>')
        for p in finite:
            cx, cy = xy(*p)
            body.append(
                f'<circle class="{escape(css)}" cx="{cx:.1f}" cy="{cy:.1f}" r="2">'
                f"<title>{escape(name)} epoch {_number(p[0])}: {p[1]:.4f}</title>"
                "</circle>"
            )
        body.append(
            f'<line class="{escape(css)}" x1="{x}" x2="{x + 12}" y1="11" y2="11"/>'
            f'<text x="{x + 16}" y="15" {FONT}>{escape(name)}</text>'
        )
        x += 24 + 7 * len(name)
    return _svg(width, height, title, body)


def confusion_matrix(
    matrix: list[list[int]],
    *,
    labels: tuple[str, ...] = ("male", "female"),
    title: str = "Confusion matrix",
) -> SafeString:
    """Rows: true class; columns: predicted class; cell shade by row share."""
    cell, left, top = 64, 70, 40
    size = len(labels)
    width, height = left + cell * size + 8, top + cell * size + 8
    body = [
        f'<text x="{left + cell * size / 2}" y="12" text-anchor="middle" {FONT}>'
        "predicted</text>",
        f'<text x="8" y="{top + cell * size / 2}" {FONT}>true</text>',
    ]
    for j, label in enumerate(labels):
        body.append(
            f'<text x="{left + cell * (j + 0.5)}" y="{top - 8}" text-anchor="middle" '
            f"{FONT}>{escape(label)}</text>"
        )
    for i, row in enumerate(matrix):
        total = sum(row) or 1
        body.append(
            f'<text x="{left - 6}" y="{top + cell * (i + 0.5) + 4}" text-anchor="end" '
            f"{FONT}>{escape(labels[i])}</text>"
        )
        for j, value in enumerate(row):
            share = value / total
            css = "cm-hit" if i == j else "cm-miss"
            body.append(
                f'<rect class="{css}" x="{left + cell * j}" y="{top + cell * i}" '
                f'width="{cell - 2}" height="{cell - 2}" '
                f'fill-opacity="{0.15 + 0.85 * share:.2f}">'
                f"<title>true {escape(labels[i])}, predicted {escape(labels[j])}: "
                f"{int(value)} ({share:.0%})</title></rect>"
                f'<text x="{left + cell * (j + 0.5) - 1}" '
                f'y="{top + cell * (i + 0.5) + 4}" text-anchor="middle" '
                f'font-size="13" font-weight="bold" fill="currentColor">{int(value)}'
                "</text>"
            )
    return _svg(width, height, title, body)
