"""One story, many sources: the key that groups entries so a story alerts once per rule.

This first version groups by canonical URL, and by normalised title when an item has no
link. Near-duplicate grouping across different URLs grows here later, behind `story_key`.
"""

from __future__ import annotations

import hashlib
import unicodedata

from monitor.records import Entry


def story_key(entry: Entry) -> str:
    basis = f"url:{entry.url}" if entry.url else f"title:{_fold(entry.title)}"
    if basis == "title:":
        basis = f"entry:{entry.source}:{entry.key}"
    return hashlib.sha256(basis.encode("utf-8", "surrogatepass")).hexdigest()[:40]


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in text if c.isalnum() or c.isspace()).split())
