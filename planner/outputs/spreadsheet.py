"""CSV meant for a spreadsheet (the web caseload's download, a batch's ``caseload.csv``)."""
from __future__ import annotations

import csv
import io

# first characters a spreadsheet reads as the start of a formula ("CSV injection")
FORMULA = ("=", "+", "-", "@", "\t", "\r")


def csv_text(columns, rows):
    """``rows`` (mappings) under a header of ``columns``; text that a spreadsheet would run
    as a formula is quoted with a leading ``'`` so that it stays text."""
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "'" + v if isinstance(v, str) and v[:1] in FORMULA else v for k, v in row.items()})
    return out.getvalue()
