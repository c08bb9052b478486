"""Start-up: `news-monitor --version`, `check` and `test ARTICLE` on the shipped config, beside
`python -c "import httpx"` (the peer: one library of the stack, loaded), all in this run.

Each command runs as a fresh process, as an analyst runs it; wall time is measured around
the process and CPU time (user + system) from the children's resource usage. Both ratios to
the peer are printed: on a machine busy with other work the wall times stretch unevenly
(waiting for a core), and the CPU ratio is the steadier one. Three states of
the catalog's disk cache (monitor/catalog/diskcache.py), each in a folder of its own:

  cold   an empty cache folder: this run builds the gazetteer and writes it (first start
         after an install or upgrade; the container image does it at build time)
  warm   the folder the cold run filled: every later start
  off    NEWS_MONITOR_CACHE_DIR=off: the index is built at every start (as before the
         cache existed)

Then a watchlist of UNKNOWN rules, each naming a place the gazetteer does not have (half of
them misspelt town names, which get a "did you mean", half invented words), is loaded by
`check` with the cache warm, and the notes it prints are counted.

Targets (issue 16): check and test under 3x `import httpx` once the cache is built; the
watchlist of 500 unknown place names under 2 s.

The package is byte-compiled first (compileall, into its __pycache__ folders), as pip does
when it installs a wheel and as the container image has it: httpx, the peer, is measured
from its installed bytecode, and a checkout run with PYTHONDONTWRITEBYTECODE set would
otherwise compile the package's source at every start (about 0.2 s of CPU for `check`).

Run: python bench/startup.py [--runs N] [--unknown N]
"""

from __future__ import annotations

import argparse
import compileall
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CONFIG = ROOT / "config" / "monitor.yaml"
ARTICLE = ROOT / "tests" / "data" / "aleppo-article.txt"
PY = sys.executable
COMMANDS = {
    "--version": [PY, "-m", "monitor", "--version"],
    "check": [PY, "-m", "monitor", "check", "-c", str(CONFIG)],
    "test ARTICLE": [PY, "-m", "monitor", "test", "-c", str(CONFIG), str(ARTICLE)],
}
PEER = [PY, "-c", "import httpx"]


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float, subprocess.CompletedProcess]:
    """(wall s, CPU s) of one run of `cmd`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done


def median_of(cmd: list[str], env: dict[str, str], runs: int) -> tuple[float, float]:
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu, done = timed(cmd, env)
        if done.returncode not in (0, 1):  # test exits 1 when no rule fires
            raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stderr}")
        walls.append(wall)
        cpus.append(cpu)
    return statistics.median(walls), statistics.median(cpus)


def env_with(cache: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "NEWS_MONITOR_CACHE_DIR": cache}


def unknown_watchlist(folder: Path, count: int) -> Path:
    """monitor.yaml and a watchlist of `count` rules, each on one place name the gazetteer
    does not know (checked here, so every one of them takes the "did you mean" path)."""
    from monitor.catalog import Catalog
    from monitor.catalog.snapshot import get_gazetteer

    catalog = Catalog.load()
    cities = get_gazetteer().cities
    rnd = random.Random(16)
    names: list[str] = []
    while len(names) < count:
        if len(names) % 2:  # an invented word
            name = "".join(
                rnd.choice("bcdfghklmnprstvz") + rnd.choice("aeiou")
                for _ in range(rnd.randint(2, 5))
            ).title()
        else:  # a misspelt town
            town = cities.name(rnd.randrange(len(cities)))
            if len(town) < 5:
                continue
            i = rnd.randrange(1, len(town))
            name = town[:i] + rnd.choice("aeiouxz") + town[i + 1 :]
        try:
            catalog.place_terms(name)
        except LookupError:
            if name not in names:
                names.append(name)
    rules = "\n".join(
        f'  - {{name: rule {i}, places: ["{n}"], keywords: [talks]}}' for i, n in enumerate(names)
    )
    (folder / "watchlists").mkdir()
    (folder / "watchlists" / "unknown.yaml").write_text(
        f"name: unknown-places\nnotify: [console]\nrules:\n{rules}\n", encoding="utf-8"
    )
    shutil.copy(ROOT / "config" / "samples" / "aleppo.xml", folder / "aleppo.xml")
    config = folder / "monitor.yaml"
    config.write_text(
        "state: sqlite:///state/monitor.db\nsources:\n"
        "  - {name: Sample, feed: aleppo.xml}\n"
        'channels:\n  console: {url: "console://"}\n'
        "watchlists: [watchlists/*.yaml]\n",
        encoding="utf-8",
    )
    return config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per figure (median)")
    parser.add_argument("--unknown", type=int, default=500, help="unknown place names")
    parser.add_argument(
        "--only-unknown", action="store_true", help="only the watchlist of unknown place names"
    )
    args = parser.parse_args()

    compiled = compileall.compile_dir(ROOT / "monitor", quiet=1)
    print(f"monitor/ byte-compiled as an install does: {'ok' if compiled else 'FAILED'}")
    with tempfile.TemporaryDirectory() as tmp:
        cold_dir = Path(tmp) / "cache"
        peer = median_of(PEER, env_with(str(cold_dir)), args.runs)
        print(
            f"peer: python -c 'import httpx'   wall {peer[0]:.3f} s   CPU {peer[1]:.3f} s "
            f"(median of {args.runs})\n"
        )
        print(
            f"{'command':<14} {'cache':<6} {'wall s':>8} {'CPU s':>8} {'x httpx (wall)':>15}"
            f" {'x httpx (CPU)':>14}"
        )

        def row(name: str, state: str, wall: float, cpu: float) -> None:
            print(
                f"{name:<14} {state:<6} {wall:>8.3f} {cpu:>8.3f} {wall / peer[0]:>14.1f}x"
                f" {cpu / peer[1]:>13.1f}x"
            )

        results: dict[tuple[str, str], tuple[float, float]] = {}
        for name, cmd in ({} if args.only_unknown else COMMANDS).items():
            if name != "--version":
                fresh = Path(tmp) / f"cold-{name.split()[0]}"
                wall, cpu, _ = timed(cmd, env_with(str(fresh)))  # one cold run: it fills it
                row(name, "cold", wall, cpu)
            wall, cpu = median_of(cmd, env_with("off"), args.runs)
            row(name, "off", wall, cpu)
            timed(cmd, env_with(str(cold_dir)))  # make sure the warm folder is filled
            wall, cpu = median_of(cmd, env_with(str(cold_dir)), args.runs)
            row(name, "warm", wall, cpu)
            results[(name, "warm")] = (wall, cpu)
        print()
        for name in () if args.only_unknown else ("check", "test ARTICLE"):
            wall, cpu = results[(name, "warm")]
            by_wall, by_cpu = wall / peer[0], cpu / peer[1]
            print(
                f"target {name}: under 3x import httpx (warm): wall {by_wall:.1f}x "
                f"{'met' if by_wall < 3 else 'NOT met'}, CPU {by_cpu:.1f}x "
                f"{'met' if by_cpu < 3 else 'NOT met'}"
            )

        os.environ["NEWS_MONITOR_CACHE_DIR"] = str(Path(tmp) / "names")  # not cold_dir's
        folder = Path(tmp) / "unknown"
        folder.mkdir()
        config = unknown_watchlist(folder, args.unknown)
        cmd = [PY, "-m", "monitor", "check", "-c", str(config)]
        wall, cpu, done = timed(cmd, env_with(str(cold_dir)))  # first: builds the index
        notes = [line for line in done.stderr.splitlines() if "unknown place" in line]
        meant = sum("did you mean" in line for line in notes)
        print(
            f"\n{args.unknown} unknown place names, first load (gazetteer cached, builds the "
            f"did-you-mean index): wall {wall:.3f} s, CPU {cpu:.3f} s"
        )
        wall, cpu = median_of(cmd, env_with(str(cold_dir)), args.runs)
        print(
            f"{args.unknown} unknown place names, `check` (warm): wall {wall:.3f} s, "
            f"CPU {cpu:.3f} s; {len(notes)} notes, {meant} with a 'did you mean'; "
            f"target under 2 s: {'met' if wall < 2 else 'NOT met'}"
        )


if __name__ == "__main__":
    main()
