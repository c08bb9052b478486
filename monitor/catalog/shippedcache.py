"""The package's groups, regions and place corrections (monitor/data/groups.yaml,
regions.yaml, places.yaml) as a disk cache file (diskcache.py), and back.

Reading the three files with positions costs ~14 ms of every `check`, `test` and reload
(PyYAML's composer in Python, then the shape checks), for files that only change with the
package. Their entries are flat records of texts, numbers and tuples (files.PlaceEdit,
files.GroupEntry), stored as one JSON list of field values per entry.

Key: the cache format, the package's version, the source of the code that reads them (the
catalog package and the YAML reader), each file's path and a digest of its bytes, and the
Python version. The user's places.yaml and groups.yaml are never cached: `check` reports
their problems at file:line from the files as they are now. A file that passes diskcache's
checks but does not decode into entries of the expected shape is not used; the files are
parsed again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import sys
from pathlib import Path
from typing import Any

from monitor.catalog import diskcache
from monitor.catalog.files import GroupEntry, PlaceEdit

log = logging.getLogger(__name__)

KIND = "catalogs"
FORMAT = 1
RECORDS = {"groups": GroupEntry, "regions": PlaceEdit, "places": PlaceEdit}
_YAMLPOS = Path(__file__).parent.parent / "yamlpos.py"


def catalogs_key(paths: dict[str, Path]) -> dict[str, Any]:
    """What the cached entries of the files at `paths` (kind -> file) depend on."""
    from monitor import __version__

    files = []
    for kind, path in sorted(paths.items()):
        try:
            data = path.read_bytes()
        except OSError:
            data = b""
        files.append([kind, str(path), len(data), hashlib.sha256(data).hexdigest()])
    return {
        "format": FORMAT,
        "version": __version__,
        "code": diskcache.code_digest(_YAMLPOS),
        "files": files,
        "python": list(sys.version_info[:2]),
    }


def read(paths: dict[str, Path]) -> dict[str, tuple[Any, ...]] | None:
    """The cached entries of each kind, or None when there is no usable cache file for the
    files as they are now."""
    sections = diskcache.read(KIND, catalogs_key(paths))
    if sections is None:
        return None
    try:
        return {kind: decode(RECORDS[kind], sections[kind]) for kind in paths}
    except (ValueError, KeyError, TypeError) as err:
        log.info("catalog files cache not used (%s): parsing the files", err)
        return None


def write(paths: dict[str, Path], entries: dict[str, tuple[Any, ...]]) -> Path | None:
    """Write the cache for the files at `paths`; None when it cannot be written."""
    return diskcache.write(
        KIND, catalogs_key(paths), {kind: encode(entries[kind]) for kind in paths}
    )


def encode(entries: tuple[Any, ...]) -> bytes:
    rows = [[getattr(e, f.name) for f in dataclasses.fields(e)] for e in entries]
    return json.dumps(rows, ensure_ascii=False).encode("utf-8")


def decode(record: type, section: bytes) -> tuple[Any, ...]:
    """The entries of one section as `record`s; ValueError when a row does not fit the
    record's fields (count, and the kind of each value)."""
    fields = dataclasses.fields(record)
    rows = json.loads(section)
    if not isinstance(rows, list):
        raise ValueError("not a list of entries")
    out = []
    for row in rows:
        if not isinstance(row, list) or len(row) != len(fields):
            raise ValueError("an entry with other fields")
        values = [_tuples(v) for v in row]
        for field, value in zip(fields, values, strict=True):
            if not _fits(str(field.type), value):
                raise ValueError(f"{field.name}: a value of the wrong kind")
        out.append(record(*values))
    return tuple(out)


def _tuples(value: Any) -> Any:
    """JSON's lists back as the records' tuples."""
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def _fits(annotation: str, value: Any) -> bool:
    if annotation == "str | None":
        return value is None or isinstance(value, str)
    if annotation == "bool":
        return isinstance(value, bool)
    if annotation == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if annotation == "str":
        return isinstance(value, str)
    if annotation.startswith("tuple["):
        return isinstance(value, tuple)
    raise ValueError(f"a field of kind {annotation} is not cached")
