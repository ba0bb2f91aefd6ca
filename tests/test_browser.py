"""The HTML report in a real browser: headless Chromium (Debian's /usr/bin/chromium) renders
it to a PNG and to a PDF, and the map's coloured cells are found in the pixels.

The PNG is decoded with the standard library only (zlib + struct). Without Chromium the
tests are skipped, unless the environment variable CI is set (CI installs Chromium), in
which case they fail.
"""
from __future__ import annotations

import collections
import json
import os
import re
import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET
import zlib

import pytest

from tests.conftest import run_cli

SVG = "{http://www.w3.org/2000/svg}"
WIDTH, HEIGHT = 1200, 2400
MIN_PIXELS = 500
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars"]


def chromium():
    path = "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else shutil.which("chromium")
    if path:
        return path
    if os.environ.get("CI"):
        pytest.fail("chromium is not installed, and CI is set (CI must install it: .ci/run)")
    pytest.skip("chromium is not installed (/usr/bin/chromium, Debian package chromium)")


def run_chromium(tmp_path, *args):
    profile = tmp_path / "profile"
    profile.mkdir(exist_ok=True)
    result = subprocess.run([chromium(), *FLAGS, f"--user-data-dir={profile}", *args],
                            capture_output=True, text=True, timeout=90)
    assert result.returncode == 0, result.stderr[-2000:]
    return result


# ---------------------------------------------------------------- PNG, standard library only


def _paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def _add_bytes(x, y):
    """Bytewise (x + y) mod 256 of two equally long byte strings, without a Python loop."""
    n = len(x)
    a, b = int.from_bytes(x, "big"), int.from_bytes(y, "big")
    low, high = int.from_bytes(b"\x7f" * n, "big"), int.from_bytes(b"\x80" * n, "big")
    return (((a & low) + (b & low)) ^ ((a ^ b) & high)).to_bytes(n, "big")


def unfilter(filter_type, line, prior, bpp):
    """One scanline of PNG filter type 0-4 (PNG spec, section 9) back to raw bytes."""
    if filter_type == 0:
        return bytes(line)
    if filter_type == 2:                                    # Up
        return _add_bytes(line, prior)
    out = bytearray(line)
    n = len(out)
    if filter_type == 1:                                    # Sub
        for i in range(bpp, n):
            out[i] = (out[i] + out[i - bpp]) & 0xFF
    elif filter_type == 3:                                  # Average
        for i in range(n):
            left = out[i - bpp] if i >= bpp else 0
            out[i] = (out[i] + ((left + prior[i]) >> 1)) & 0xFF
    elif filter_type == 4:                                  # Paeth
        for i in range(bpp):
            out[i] = (out[i] + prior[i]) & 0xFF             # paeth(0, b, 0) == b
        for i in range(bpp, n):
            out[i] = (out[i] + _paeth(out[i - bpp], prior[i], prior[i - bpp])) & 0xFF
    else:
        raise ValueError(f"unknown PNG filter type {filter_type}")
    return bytes(out)


def decode_png(data):
    """(width, height, channels, [row bytes]) of an 8-bit RGB (2) or RGBA (6) PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, header, idat = 8, None, []
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        crc, = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        assert zlib.crc32(kind + body) == crc, f"bad CRC in {kind!r} chunk"
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + length
    width, height, depth, colour_type, _, _, interlace = header
    if depth != 8 or colour_type not in (2, 6) or interlace:
        raise ValueError(f"unsupported PNG: depth {depth}, colour type {colour_type}, interlace {interlace}")
    channels = 3 if colour_type == 2 else 4
    stride = width * channels
    raw = zlib.decompress(b"".join(idat))
    assert len(raw) == height * (stride + 1), "truncated image data"
    rows, prior = [], bytes(stride)
    for y in range(height):
        start = y * (stride + 1)
        prior = unfilter(raw[start], raw[start + 1:start + 1 + stride], prior, channels)
        rows.append(prior)
    return width, height, channels, rows


def _encode_png(width, height, channels, rows, filters):
    """A test PNG with the given filter per row (to check the decoder on every filter)."""
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    out, prior = bytearray(), bytes(width * channels)
    for row, f in zip(rows, filters):
        line = bytearray()
        for i, x in enumerate(row):
            a = row[i - channels] if i >= channels else 0
            c = prior[i - channels] if i >= channels else 0
            predictor = [0, a, prior[i], (a + prior[i]) >> 1, _paeth(a, prior[i], c)][f]
            line.append((x - predictor) & 0xFF)
        out += bytes([f]) + line
        prior = row
    colour_type = 2 if channels == 3 else 6
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(bytes(out))) + chunk(b"IEND", b""))


@pytest.mark.parametrize("channels", [3, 4])
def test_png_decoder_handles_every_filter(channels):
    width, height = 7, 10
    rows = [bytes((x * 37 + y * 101 + c * 53 + x * y * 11) % 256 for x in range(width) for c in range(channels))
            for y in range(height)]
    filters = [0, 1, 2, 3, 4, 4, 3, 2, 1, 0]
    assert decode_png(_encode_png(width, height, channels, rows, filters)) == (width, height, channels, rows)


def pixel_counts(rows, channels):
    """Counter of (r, g, b) over the image (alpha ignored, it is opaque here), and per row."""
    total, per_row = collections.Counter(), []
    for row in rows:
        counts = collections.Counter(zip(row[0::channels], row[1::channels], row[2::channels]))
        per_row.append(counts)
        total.update(counts)
    return total, per_row


# ---------------------------------------------------------------- the report in Chromium


def rgb(hex_colour):
    return tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))


def map_colours(svg_text):
    """band -> (r, g, b) from the map's legend (each swatch is followed by its label),
    checked against the fills of the cells; unrated: the background of its hatching."""
    root = ET.fromstring(svg_text)

    def solid(fill):
        m = re.fullmatch(r"url\(#([\w-]+)\)", fill)
        if m:
            fill = root.find(f".//{SVG}pattern[@id='{m.group(1)}']").find(SVG + "rect").get("fill")
        return rgb(fill)

    legend = next(g for g in root.iter(SVG + "g") if g.get("class") == "legend")
    colours, swatch = {}, None
    for el in legend:
        if el.tag == SVG + "rect":
            swatch = solid(el.get("fill"))
        elif el.tag == SVG + "text" and swatch is not None:
            band = el.text.strip().lower()
            colours["unrated" if band == "not rated" else band] = swatch
            swatch = None
    assert set(colours) == {"typical", "mild", "moderate", "severe", "unrated"}, colours
    for g in root.iter(SVG + "g"):
        if g.get("class") == "cell":
            fill = solid(g.find(SVG + "polygon").get("fill"))
            assert fill == colours[g.get("data-band")], f"{g.get('data-function')} is not in its legend colour"
    return colours


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """example -> (plan JSON, band colours, decoded screenshot, PNG size in bytes)."""
    cache = {}

    def render(example):
        if example not in cache:
            tmp = tmp_path_factory.mktemp(example)
            html, png = tmp / "plan.html", tmp / "plan.png"
            for args, out in ((("plan", "--example", example, "--format", "html"), html),
                              (("map", example), tmp / "map.svg"),
                              (("plan", "--example", example, "--format", "json"), tmp / "plan.json")):
                result = run_cli(*args, "-o", out)
                assert result.returncode == 0, result.stderr
            run_chromium(tmp, f"--window-size={WIDTH},{HEIGHT}", f"--screenshot={png}", html.as_uri())
            assert png.is_file(), "chromium wrote no screenshot"
            data = png.read_bytes()
            cache[example] = (json.loads((tmp / "plan.json").read_text("utf-8")),
                              map_colours((tmp / "map.svg").read_text("utf-8")), decode_png(data), len(data))
        return cache[example]
    return render


@pytest.mark.parametrize("example", ["young-child-brainstem", "middle-limbic"])
def test_map_cells_are_painted_in_the_upper_part_of_the_page(rendered, example):
    plan, colours, (width, height, channels, rows), size = rendered(example)
    assert (width, height) == (WIDTH, HEIGHT)
    total, per_row = pixel_counts(rows, channels)
    present = {f["band"] for r in plan["regions"] for f in r["functions"]}
    rated = {colours[b] for b in present - {"unrated"}}
    # Where the map sits: below the header and the summary, in the upper half of the page (above the steps).
    # (Rated band colours only: the grey under the unrated hatching also occurs in anti-aliased text.)
    ys = [y for y, c in enumerate(per_row) if any(c[k] for k in rated)]
    assert ys, "no map pixels"
    # The summary (start, first steps, waits by gate, review, goals) sits above the map.
    assert 100 < ys[0] and ys[-1] < height * 0.6, f"map pixels span rows {ys[0]}-{ys[-1]}"
    in_map = collections.Counter()
    for y in range(ys[0], ys[-1] + 1):
        in_map.update(per_row[y])
    counts = {band: (total if band != "unrated" else in_map)[colour] for band, colour in colours.items()}
    print(f"{example}: PNG {size} bytes, {width}x{height}, colour type {2 if channels == 3 else 6}; "
          f"map rows {ys[0]}-{ys[-1]}; pixels per band colour: {counts}")
    for band in present:
        assert counts[band] >= MIN_PIXELS, f"{band} cells are not on the page: {counts[band]} pixels"
    for band in set(colours) - present:   # at most the legend's swatch
        assert counts[band] < MIN_PIXELS, f"{band} is in no cell but fills {counts[band]} pixels"
    # The inverted triangle: in the map, wide rows of cells on top, narrow ones at the bottom
    # (rows with >= 150 band pixels: the legend's small swatches stay below that).
    wide = [(y, sum(per_row[y][k] for k in rated)) for y in ys]
    wide = [(y, n) for y, n in wide if n >= 150]
    top, bottom = wide[:10], wide[-10:]
    assert len(wide) > 150, f"only {len(wide)} rows of map cells"
    print(f"  map rows with cells: {len(wide)}; top widths {[n for _, n in top]}, bottom {[n for _, n in bottom]}")
    assert min(n for _, n in top) > 1.5 * max(n for _, n in bottom), (top, bottom)


def test_print_to_pdf(tmp_path):
    html, pdf = tmp_path / "plan.html", tmp_path / "plan.pdf"
    result = run_cli("plan", "--example", "young-child-brainstem", "--format", "html", "-o", html)
    assert result.returncode == 0, result.stderr
    run_chromium(tmp_path, f"--print-to-pdf={pdf}", "--no-pdf-header-footer", html.as_uri())
    assert pdf.is_file(), "chromium wrote no PDF"
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    pages = re.findall(rb"/Type\s*/Page(?![a-zA-Z])", data)
    print(f"PDF {len(data)} bytes, {len(pages)} page(s)")
    assert len(pages) >= 1


# ---------------------------------------------------------------- the printed report

EXAMPLES = ("middle-limbic", "teen-cortical", "young-child-brainstem", "young-child-brainstem-followup")
MAX_A4_PAGES = 6


def poppler(tool):
    path = shutil.which(tool)
    if path:
        return path
    if os.environ.get("CI"):
        pytest.fail(f"{tool} is not installed, and CI is set (CI must install poppler-utils: .ci/run)")
    pytest.skip(f"{tool} is not installed (Debian package poppler-utils)")


def print_pdf(tmp_path, html_text, paper):
    """Print an HTML document to PDF on ``paper`` (A4 or Letter), as a browser's print dialog
    would: the paper size is the printer's choice, so it is set here, not in the report."""
    page = tmp_path / f"print-{paper}.html"
    page.write_text(html_text.replace("</head>", f"<style>@page {{ size: {paper}; }}</style></head>", 1), "utf-8")
    pdf = tmp_path / f"print-{paper}.pdf"
    run_chromium(tmp_path, f"--print-to-pdf={pdf}", "--no-pdf-header-footer", page.as_uri())
    assert pdf.read_bytes().startswith(b"%PDF-"), "chromium wrote no PDF"
    return pdf


def pdf_pages(pdf):
    """The text of each page of ``pdf`` (pdftotext keeps the page breaks as form feeds)."""
    text = subprocess.run([poppler("pdftotext"), "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    return [" ".join(page.split()) for page in text.split("\f") if page.strip()]


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    """(example, paper, redact) -> (plan JSON, [page texts])."""
    cache = {}

    def make(example, paper="A4", redact=False):
        key = (example, paper, redact)
        if key not in cache:
            tmp = tmp_path_factory.mktemp(f"{example}-{paper}")
            extra = ["--redact"] if redact else []
            html = tmp / "plan.html"
            result = run_cli("plan", "--example", example, "--format", "html", *extra, "-o", html)
            assert result.returncode == 0, result.stderr
            plan = json.loads(run_cli("plan", "--example", example, "--format", "json", *extra).stdout)
            cache[key] = (plan, pdf_pages(print_pdf(tmp, html.read_text("utf-8"), paper)))
        return cache[key]
    return make


@pytest.mark.parametrize("example", EXAMPLES)
def test_report_prints_on_at_most_six_a4_pages_with_header_and_page_numbers(printed, example):
    plan, pages = printed(example, "A4")
    print(f"{example}: {len(pages)} A4 page(s)")
    assert 1 <= len(pages) <= MAX_A4_PAGES
    client = plan["client"]
    named = f" ({client['name']})" if "name" in client else ""
    header = f"Sequenced plan: {client['id']}{named}, assessed {plan['assessed_on']}"
    for number, page in enumerate(pages, 1):
        assert header in page, f"page {number} has no running header"
        assert f"Page {number} of {len(pages)}" in page, f"page {number} is not numbered"
    # the summary, opening with the objectives (issue 18), then where to start, is on the first page
    assert "Summary Goal Objective by" in pages[0] and "Start here." in pages[0], "the summary opens the first page"
    last = pages[-1]
    assert "Sign-off" in last and "Clinician" in last and "Date" in last and "Signature" in last


@pytest.mark.parametrize("example", ["middle-limbic", "young-child-brainstem"])
def test_report_prints_on_letter_too(printed, example):
    plan, pages = printed(example, "Letter")
    a4 = printed(example, "A4")[1]
    print(f"{example}: {len(pages)} Letter page(s), {len(a4)} A4")
    assert 1 <= len(pages) <= MAX_A4_PAGES + 1
    for number, page in enumerate(pages, 1):
        assert f"Page {number} of {len(pages)}" in page and plan["client"]["id"] in page


@pytest.mark.parametrize("case", ["rh-low-1-8f", "hospital-burns-7m"])
def test_the_sign_off_never_has_a_letter_page_of_its_own(tmp_path, case):
    """Issue 22: on Letter, these reports ended with a page holding only the sign-off box."""
    from pathlib import Path

    html = tmp_path / "plan.html"
    source = Path(__file__).parent / "corpus" / f"{case}.yaml"
    assert run_cli("plan", source, "--format", "html", "-o", html).returncode == 0
    pages = pdf_pages(print_pdf(tmp_path, html.read_text("utf-8"), "Letter"))
    last = pages[-1]
    assert "Sign-off" in last and "Clinician" in last
    before = last[:last.index("Sign-off")]
    assert "Sources" in before or "domain brief section" in before, f"the sign-off is alone on its page: {last}"


def test_redacted_report_leaves_the_name_out_of_the_running_header(printed):
    plan, pages = printed("young-child-brainstem", "A4", redact=True)
    assert "name" not in plan["client"]
    for page in pages:
        assert f"Sequenced plan: {plan['client']['id']}, assessed {plan['assessed_on']}" in page
        assert "Robin" not in page


def test_no_table_is_split_leaving_one_row_on_a_page(printed):
    """Small tables (client, first steps, regions, sign-off) stay whole on one page."""
    plan, pages = printed("middle-limbic", "A4")
    regions = [r["label"] for r in plan["regions"]]
    holding = [i for i, page in enumerate(pages) if "Region Mean (0-12) Band" in page]
    assert len(holding) == 1, "the region table is printed once"
    page = pages[holding[0]]
    after = page[page.index("Region Mean (0-12) Band"):]
    assert all(label in after for label in regions), "the region table was split across pages"


@pytest.mark.parametrize("example", ["young-child-brainstem", "teen-cortical"])
def test_printed_map_labels_every_cell(printed, example):
    plan, pages = printed(example, "A4")
    page = next(p for p in pages if "Functional brain map" in p and "Key:" in p)
    number = 0
    for region in reversed(plan["regions"]):            # the key runs top (cortex) to bottom
        for f in region["functions"]:
            number += 1
            assert f"{number} {f['label']}" in page, f"the key misses {number} {f['label']}"


def test_map_key_numbers_are_painted_on_their_cells(tmp_path):
    """Screenshot the map with and without its key numbers: every cell changes where its
    number sits, so each cell carries a readable label for the key."""
    svg = run_cli("map", "young-child-brainstem").stdout
    root = ET.fromstring(svg)
    width, height = (int(float(v)) for v in root.get("viewBox").split()[2:])
    shots = {}
    for name, style in (("with", ""), ("without", "<style>.cell-key { visibility: hidden; }</style>")):
        page = tmp_path / f"{name}.html"
        page.write_text(f"<!DOCTYPE html><html><head>{style}<style>body{{margin:0}}</style></head>"
                        f"<body>{svg}</body></html>", "utf-8")
        png = tmp_path / f"{name}.png"
        run_chromium(tmp_path, f"--window-size={width},{height}", f"--screenshot={png}", page.as_uri())
        shots[name] = decode_png(png.read_bytes())
    (w, h, channels, with_rows), (_, _, _, without_rows) = shots["with"], shots["without"]
    assert (w, h) == (width, height)
    cells = [g for g in root.iter(SVG + "g") if g.get("class") == "cell"]
    assert len(cells) == 32
    for g in cells:
        key = next(t for t in g.iter(SVG + "text") if t.get("class") == "cell-key")
        x, y = float(key.get("x")), float(key.get("y"))
        changed = sum(1 for row in range(int(y) - 12, int(y) + 3) for col in range(int(x) - 10, int(x) + 10)
                      if with_rows[row][col * channels:col * channels + 3]
                      != without_rows[row][col * channels:col * channels + 3])
        assert changed >= 15, f"{g.get('data-function')}: key number {key.text} is not painted ({changed} pixels)"


@pytest.mark.parametrize("reader", ["caregiver", "teacher"])
@pytest.mark.parametrize("example", ["middle-limbic", "young-child-brainstem"])
def test_handout_prints_on_one_page(tmp_path, example, reader):
    result = run_cli("handout", example, "--for", reader, "--format", "html")
    assert result.returncode == 0, result.stderr
    for paper in ("A4", "Letter"):
        pages = pdf_pages(print_pdf(tmp_path, result.stdout, paper))
        assert len(pages) == 1, f"the {reader} handout takes {len(pages)} {paper} pages"
        assert "Who to ask" in pages[0]
