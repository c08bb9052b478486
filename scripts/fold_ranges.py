"""Write monitor/match/foldranges.py: the characters that fold to themselves, precomputed.

Run after changing the fold rules in monitor/match/normalize.py (a test fails until you do):

    python scripts/fold_ranges.py
"""

from __future__ import annotations

import textwrap
import unicodedata
from pathlib import Path

from monitor.match.normalize import identity_ranges

TARGET = Path(__file__).resolve().parent.parent / "monitor" / "match" / "foldranges.py"

HEADER = '''"""Precomputed by scripts/fold_ranges.py; do not edit. The regex class ranges of the
characters that fold to themselves (normalize._IDENTITY_SCAN), for the Unicode version named:
finding them costs a tenth of a second at every start otherwise. A Python with another Unicode
version computes them instead."""

UNIDATA = {unidata!r}
RANGES = (
{lines}
)
'''


def main() -> None:
    body = identity_ranges()
    lines = "\n".join(f"    {chunk!r}" for chunk in textwrap.wrap(
        body, 64, break_long_words=True, break_on_hyphens=False))
    TARGET.write_text(HEADER.format(unidata=unicodedata.unidata_version, lines=lines),
                      encoding="utf-8")
    print(f"{TARGET}: {len(body)} characters for Unicode {unicodedata.unidata_version}")


if __name__ == "__main__":
    main()
