"""Geometry of the Functional Brain Map: an inverted triangle (bluntly pointed), brainstem
at the bottom, cortex across the top, one cell per function (templates/map.svg.j2 draws it).

Only shapes are computed here; each cell's band comes from the plan (rules FBAND-*).
"""
from __future__ import annotations

from dataclasses import dataclass

WIDTH, ROW_HEIGHT, LEFT, TOP = 720.0, 70.0, 150.0, 20.0
KEY_LINE, KEY_TOP = 16.0, 36.0   # the numbered key under the map: one column per region, a line per function
TAPER = 0.7      # the bottom edge is 30% of the top: a blunt point keeps brainstem cells legible


@dataclass
class Cell:
    function: str
    label: str
    score: int | None
    band: str
    points: str          # SVG polygon points
    cx: float            # label position
    cy: float
    key: int = 0         # its number in the key beside the map (1 = top left)
    top: float = 0.0     # y of the row's top edge (the key number sits just below it)


@dataclass
class Row:
    region: str
    label: str
    band: str
    mean: float | None
    y: float
    cells: list


def _x(row_from_top, rows, fraction, edge):
    """x of a point ``fraction`` of the way across the top (edge 0) or bottom (edge 1) of a row."""
    width = WIDTH * (1 - TAPER * (row_from_top + edge) / rows)
    start = LEFT + (WIDTH - width) / 2
    return start + fraction * width


def layout(plan):
    """Rows top (cortex) to bottom (brainstem), each cut into one cell per function."""
    regions = list(reversed(plan.regions))      # plan.regions is bottom-up
    rows, n, number = [], len(regions), 0
    for i, region in enumerate(regions):
        y0, y1 = TOP + i * ROW_HEIGHT, TOP + (i + 1) * ROW_HEIGHT
        functions = region["functions"]
        cells = []
        for j, f in enumerate(functions):
            a, b = j / len(functions), (j + 1) / len(functions)
            corners = [(_x(i, n, a, 0), y0), (_x(i, n, b, 0), y0), (_x(i, n, b, 1), y1), (_x(i, n, a, 1), y1)]
            cx = sum(x for x, _ in corners) / 4
            number += 1
            cells.append(Cell(f["id"], f["label"], f["score"], f["band"],
                              " ".join(f"{x:.1f},{y:.1f}" for x, y in corners), round(cx, 1), round((y0 + y1) / 2, 1),
                              number, y0))
        rows.append(Row(region["id"], region["label"], region["band"], region["mean"], y0, cells))
    return rows


def key_height(rows):
    """Height of the numbered key: a heading and the longest region's list."""
    return KEY_TOP + max((len(r.cells) for r in rows), default=0) * KEY_LINE


def key_columns(rows):
    """The key, one column per region (top row first): [(x, row)]."""
    width = (LEFT + WIDTH) / max(len(rows), 1)
    return [(round(10 + i * width, 1), row) for i, row in enumerate(rows)]


def size(rows):
    """(width, height) of the drawing, key and legend included."""
    return LEFT + WIDTH + 20, TOP + len(rows) * ROW_HEIGHT + key_height(rows) + 100
