"""Place lookups: what the first one costs (it builds the gazetteer) beside what a fresh
Catalog's lookups cost afterwards, as after a reload, all measured in this run.

tests/test_catalog.py checks that a fresh Catalog does not build the gazetteer again; the
speed of the lookups is measured here: 1,000 city names spread over the gazetteer, looked
up by a fresh Catalog (each name once: no per-Catalog cache helps), then again by the same
Catalog (its cache). The baseline is the gazetteer's build, measured in the same process.

Run: make bench   (or: python bench/catalog_speed.py)
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from monitor.catalog import Catalog  # noqa: E402
from monitor.catalog.snapshot import get_gazetteer  # noqa: E402

CONFIG = ROOT / "config"
NAMES = 1_000


def main() -> None:
    start = time.perf_counter()
    Catalog.load().place_terms("Aleppo")
    build = time.perf_counter() - start
    cities = get_gazetteer().cities
    names = [cities.name(i) for i in range(0, len(cities), len(cities) // NAMES)][:NAMES]

    start = time.perf_counter()
    fresh = Catalog.load(CONFIG / "places.yaml", CONFIG / "groups.yaml")
    loaded = time.perf_counter() - start
    start = time.perf_counter()
    found = sum(1 for name in names if fresh.place_terms(name))
    first = time.perf_counter() - start
    start = time.perf_counter()
    for name in names:
        fresh.place_terms(name)
    cached = time.perf_counter() - start

    print(
        f"{len(cities):,} cities in the gazetteer; {len(names):,} names looked up, "
        f"{found:,} found\n"
    )
    print(f"{'':<44}{'ms':>10}{'ms per name':>13}")
    print(f"{'first lookup, building the gazetteer':<44}{1000 * build:10.1f}  (baseline)")
    print(f"{'Catalog.load with the shipped catalogs':<44}{1000 * loaded:10.1f}")
    print(
        f"{'a fresh Catalog: each name once':<44}{1000 * first:10.1f}"
        f"{1000 * first / len(names):13.3f}"
    )
    print(
        f"{'the same names again (per-Catalog cache)':<44}{1000 * cached:10.1f}"
        f"{1000 * cached / len(names):13.4f}"
    )
    print(f"\n{len(names):,} fresh lookups cost {first / build:.0%} of one gazetteer build")


if __name__ == "__main__":
    main()
