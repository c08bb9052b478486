"""Event types and casualty figures on the hand-labelled facts set: news-monitor's extractors
beside a keyword-only baseline, both measured in this run.

Data: tests/data/facts/ (see its README.md): dev.yaml (tune on it) and heldout.yaml (measure
on it, never tune on it), sentences, paragraphs and whole articles in English, Arabic, French
and Turkish, each labelled with the event types a careful reader would record and the killed,
injured, kidnapped and displaced figures ({count, qualifier}) of the event it reports.

Protocol
--------
Every method reads the item's title and text. Event types: news-monitor's are the keys of
`monitor.catalog.events.events_in(title + text)` (the shipped catalog); for each type of the
set's vocabulary, precision = items where it was found and labelled / items where it was
found, recall = items where it was found and labelled / items labelled with it. Names the
catalog gives that the set does not label are listed, not scored. Figures: news-monitor's are
`monitor.facts.casualties.casualties(title, text)`; per kind, "exact" = share of the items
labelled with that kind whose count is the labelled count ("+qual": qualifier too), "wrongly
present" = share of the items NOT labelled with that kind where a figure came out anyway.

Keyword-only baseline (what a user writes today): an event type is found when its bare
keyword appears in the folded text (airstrike / air strike, shelling, clash, suicide, kidnap /
abduct); it knows no other type. A figure is the first number written in digits within 60
characters before, else after, the first "killed"/"killing"/"dead" (injured: "injured",
"wounded"...; kidnapped: "kidnapped", "abducted"...; displaced: "displaced"/"fled") that has
one; no qualifier.

Each part (dev, held-out, all) gets its tables and the issue's Done-when thresholds marked
met / not met (they are defined on the held-out part): killed exact >= 85% of the items that
report one, wrongly present <= 5% of those that do not; precision >= 90% and recall >= 85% for
each of airstrike, shelling, armed clash, suicide bombing and abduction. A part of news-monitor
that cannot be imported (another branch not merged yet) is reported as not scored, with the
ImportError; an exception on one item costs that item (counted as found nothing).

`--errors N` lists up to N of news-monitor's mistakes on the dev part only: the held-out part's
mistakes are not printed, so that nobody tunes on them.

Run: python bench/facts.py [--data DIR] [--limit N] [--only ID-PREFIX] [--errors N] [--json]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATA = ROOT / "tests" / "data" / "facts"
PARTS = (("dev", "dev.yaml"), ("held-out", "heldout.yaml"))
KINDS = ("killed", "injured", "kidnapped", "displaced")
SCORED = ("airstrike", "shelling", "armed clash", "suicide bombing", "abduction")
VOCABULARY = SCORED + ("remote explosive", "attack on civilians", "chemical weapon", "protest",
                       "agreement", "arrests")
QUALIFIERS = ("", "at least", "more than", "up to", "about")
KILLED_EXACT, KILLED_WRONG, PRECISION, RECALL = 0.85, 0.05, 0.90, 0.85
MONITOR, KEYWORDS = "news-monitor", "keywords"

BASE_EVENTS = {"airstrike": ("airstrike", "air strike"), "shelling": ("shelling",),
               "armed clash": ("clash",), "suicide bombing": ("suicide",),
               "abduction": ("kidnap", "abduct")}
BASE_FIGURES = {"killed": r"kill(?:ed|ing)|dead", "injured": r"injur(?:ed|ing)|wound(?:ed|ing)",
                "kidnapped": r"kidnap(?:ped|ping)|abduct(?:ed|ing)", "displaced": r"displaced|fled"}
NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+(?!\d)|\d+")
WINDOW = 60

Figure = tuple[int, str]  # (count, qualifier)


@dataclass(frozen=True)
class Item:
    id: str
    lang: str
    part: str
    title: str
    text: str
    events: frozenset[str]
    figures: dict[str, Figure]


@dataclass
class Found:
    """What one method found in one item; None: that half of the method was not run."""
    events: frozenset[str] | None = None
    figures: dict[str, Figure] | None = None


@dataclass
class Method:
    name: str
    events: Callable[[Item], frozenset[str]] | None
    figures: Callable[[Item], dict[str, Figure]] | None
    why_not: dict[str, str] = field(default_factory=dict)  # half -> reason it is not scored
    failures: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0


def load_items(folder: Path, limit: int | None = None) -> list[Item]:
    """Both parts, in file order; `limit` keeps the first N items of each part."""
    items: list[Item] = []
    for part, name in PARTS:
        raw = yaml.safe_load((folder / name).read_text(encoding="utf-8"))["items"]
        for entry in raw[:limit]:
            figures = {k: (int(entry[k]["count"]), str(entry[k].get("qualifier", "")))
                       for k in KINDS if k in entry}
            items.append(Item(str(entry["id"]), str(entry["lang"]), part,
                              str(entry.get("title", "")), str(entry["text"]),
                              frozenset(entry.get("events") or ()), figures))
    return items


def fold(text: str) -> str:
    """Lower case without accents, one space between words: what a keyword search sees."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def keyword_events(item: Item) -> frozenset[str]:
    text = fold(f"{item.title}\n{item.text}")
    return frozenset(t for t, words in BASE_EVENTS.items() if any(w in text for w in words))


def keyword_figures(item: Item) -> dict[str, Figure]:
    text = f"{item.title}\n{item.text}"
    out: dict[str, Figure] = {}
    for kind, words in BASE_FIGURES.items():
        for word in re.finditer(rf"\b(?:{words})\b", text, re.IGNORECASE):
            before = list(NUMBER.finditer(text[max(0, word.start() - WINDOW):word.start()]))
            after = NUMBER.search(text[word.end():word.end() + WINDOW])
            number = before[-1] if before else after
            if number is not None and int(number.group().replace(",", "")) > 0:
                out[kind] = (int(number.group().replace(",", "")), "")
                break
    return out


def monitor_method() -> Method:
    """news-monitor's two extractors, each only if its module is there."""
    method = Method(MONITOR, None, None)
    try:
        from monitor.catalog.events import events_in
    except ImportError as exc:
        method.why_not["events"] = f"{type(exc).__name__}: {exc}"
    else:
        method.events = lambda item: frozenset(events_in(f"{item.title}\n\n{item.text}"))
    try:
        from monitor.facts.casualties import casualties
    except ImportError as exc:
        method.why_not["figures"] = f"{type(exc).__name__}: {exc}"
    else:
        def figures(item: Item) -> dict[str, Figure]:
            found = casualties(item.title, item.text)
            return {k: (f.count, f.qualifier) for k in KINDS
                    if (f := getattr(found, k, None)) is not None}
        method.figures = figures
    return method


def run(method: Method, items: list[Item]) -> dict[str, Found]:
    """Every item through the method; an exception costs that item alone."""
    out: dict[str, Found] = {}
    warm = Item("warm-up", "en", "", "", "Shelling killed 5 people.", frozenset(), {})
    for fn in (method.events, method.figures):  # catalogs load once, outside the timing
        if fn is not None:
            with contextlib.suppress(Exception):  # the timed run counts any failure
                fn(warm)
    start = time.perf_counter()
    for item in items:
        found = Found()
        for half in ("events", "figures"):
            fn = getattr(method, half)
            if fn is None:
                continue
            try:
                setattr(found, half, fn(item))
            except Exception as exc:  # one bad item must not end the run
                method.failures[f"{half}: {type(exc).__name__}"] += 1
                setattr(found, half, frozenset() if half == "events" else {})
        out[item.id] = found
    method.seconds = time.perf_counter() - start
    return out


def share(a: int, b: int) -> float | None:
    return a / b if b else None


def score_events(items: list[Item], found: dict[str, Found]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for etype in VOCABULARY:
        tp = fp = fn = 0
        for item in items:
            got = found[item.id].events or frozenset()
            tp += etype in got and etype in item.events
            fp += etype in got and etype not in item.events
            fn += etype not in got and etype in item.events
        out[etype] = {"gold": tp + fn, "found": tp + fp, "precision": share(tp, tp + fp),
                      "recall": share(tp, tp + fn)}
    return out


def score_figures(items: list[Item], found: dict[str, Found]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for kind in KINDS:
        gold = [i for i in items if kind in i.figures]
        absent = [i for i in items if kind not in i.figures]
        got = {i.id: (found[i.id].figures or {}).get(kind) for i in items}
        exact = sum(1 for i in gold if (g := got[i.id]) is not None
                    and g[0] == i.figures[kind][0])
        both = sum(1 for i in gold if got[i.id] == i.figures[kind])
        wrong = sum(1 for i in absent if got[i.id] is not None)
        out[kind] = {"gold": len(gold), "exact": share(exact, len(gold)),
                     "exact_qualifier": share(both, len(gold)), "absent": len(absent),
                     "wrongly_present": share(wrong, len(absent))}
    return out


def thresholds(events: dict[str, dict[str, Any]] | None,
               figures: dict[str, dict[str, Any]] | None) -> list[tuple[str, float | None, bool]]:
    """(what, figure, met) for each Done-when line; None figure: not measurable."""
    lines: list[tuple[str, float | None, bool]] = []
    if figures is not None:
        exact, wrong = figures["killed"]["exact"], figures["killed"]["wrongly_present"]
        lines.append((f"killed exact >= {KILLED_EXACT:.0%}", exact,
                      exact is not None and exact >= KILLED_EXACT))
        lines.append((f"killed wrongly present <= {KILLED_WRONG:.0%}", wrong,
                      wrong is not None and wrong <= KILLED_WRONG))
    if events is not None:
        for etype in SCORED:
            p, r = events[etype]["precision"], events[etype]["recall"]
            lines.append((f"{etype} precision >= {PRECISION:.0%}", p,
                          p is not None and p >= PRECISION))
            lines.append((f"{etype} recall >= {RECALL:.0%}", r, r is not None and r >= RECALL))
    return lines


def evaluate(items: list[Item], methods: list[Method],
             found: dict[str, dict[str, Found]]) -> dict[str, Any]:
    """The figures of one part, per method and per language."""
    out: dict[str, Any] = {"items": len(items),
                           "languages": dict(Counter(i.lang for i in items)), "methods": {}}
    for m in methods:
        events = score_events(items, found[m.name]) if m.events else None
        figures = score_figures(items, found[m.name]) if m.figures else None
        by_lang = {}
        for lang in sorted({i.lang for i in items}):
            subset = [i for i in items if i.lang == lang]
            by_lang[lang] = {
                "killed": score_figures(subset, found[m.name])["killed"] if m.figures else None,
                "recall": micro_recall(subset, found[m.name]) if m.events else None}
        out["methods"][m.name] = {"events": events, "figures": figures, "by_language": by_lang,
                                  "thresholds": thresholds(events, figures)}
    return out


def micro_recall(items: list[Item], found: dict[str, Found]) -> float | None:
    """Share of the (item, scored type) labels that were found."""
    gold = [(i, t) for i in items for t in SCORED if t in i.events]
    return share(sum(1 for i, t in gold if t in (found[i.id].events or ())), len(gold))


def cell(value: float | None, width: int = 7) -> str:
    return f"{value:{width}.3f}" if value is not None else f"{'—':>{width}}"


def print_part(name: str, part: dict[str, Any], methods: list[Method]) -> None:
    mon, key = part["methods"][MONITOR], part["methods"][KEYWORDS]
    langs = ", ".join(f"{k} {v}" for k, v in sorted(part["languages"].items()))
    print(f"\n== {name}: {part['items']} items ({langs})")
    print(f"{'event type':<20}{'gold':>5}  {MONITOR + ' P':>15}{'R':>7}  {'keywords P':>11}"
          f"{'R':>7}   Done when P >= {PRECISION:.2f}, R >= {RECALL:.2f}")
    for etype in VOCABULARY:
        m = (mon["events"] or {}).get(etype, {})
        k = key["events"][etype]
        base = (cell(k["precision"], 11) + cell(k["recall"])) if etype in BASE_EVENTS \
            else f"{'(no keyword)':>18}"
        if mon["events"] is None:
            verdict = "not scored"
        elif etype in SCORED:
            met = [ok for what, _, ok in mon["thresholds"] if what.startswith(etype + " ")]
            verdict = "met" if all(met) else "not met"
        else:
            verdict = "(no threshold)"
        print(f"{etype:<20}{k['gold']:>5}  {cell(m.get('precision'), 15)}{cell(m.get('recall'))}"
              f"  {base}   {verdict}")
    print(f"{'figure':<11}{'gold':>5}  {'exact':>7}{'+qual':>7}{'kw exact':>10}  |"
          f"{'absent':>7}  {'wrongly':>8}{'kw wrongly':>12}")
    for kind in KINDS:
        m = (mon["figures"] or {}).get(kind, {})
        k = key["figures"][kind]
        print(f"{kind:<11}{k['gold']:>5}  {cell(m.get('exact'))}{cell(m.get('exact_qualifier'))}"
              f"{cell(k['exact'], 10)}  |{k['absent']:>7}  {cell(m.get('wrongly_present'), 8)}"
              f"{cell(k['wrongly_present'], 12)}")
    print("by language   killed exact (nm / kw)   killed wrongly (nm / kw)   "
          "5-type recall (nm / kw)")
    for lang, m in mon["by_language"].items():
        k = key["by_language"][lang]
        mk = m["killed"] or {}
        print(f"  {lang:<11}{cell(mk.get('exact'))} / {cell(k['killed']['exact'], 5)}"
              f"{cell(mk.get('wrongly_present'), 16)} / {cell(k['killed']['wrongly_present'], 5)}"
              f"{cell(m['recall'], 15)} / {cell(k['recall'], 5)}")
    lines = mon["thresholds"]
    met = sum(ok for _, _, ok in lines)
    print(f"Done when ({name}): {met} of {len(lines)} lines met by {MONITOR}", end="")
    print("" if lines else " (nothing scored: see above)")
    for what, value, ok in lines:
        shown = f"{value:.1%}" if value is not None else "nothing found"
        print(f"  {what:<34} {shown:>14}  {'met' if ok else 'NOT MET'}")


def mistakes(items: list[Item], found: dict[str, Found], n: int) -> list[str]:
    """news-monitor's dev mistakes, one line each: item, what was labelled, what came out."""
    out: list[str] = []
    for item in items:
        got = found[item.id]
        if got.events is not None:
            extra = sorted((got.events - item.events) & set(VOCABULARY))
            missed = sorted(item.events - got.events)
            if extra or missed:
                out.append(f"  {item.id:<22} events  missed {missed}  wrongly {extra}")
        if got.figures is not None:
            gold, have = item.figures.get("killed"), got.figures.get("killed")
            if (gold and (not have or have[0] != gold[0])) or (have and not gold):
                out.append(f"  {item.id:<22} killed  labelled {gold}  found {have}")
    return out[:n]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA,
                        help="folder with dev.yaml and heldout.yaml (default: tests/data/facts)")
    parser.add_argument("--limit", type=int, default=None, metavar="N",
                        help="score only the first N items of each part (a quick look)")
    parser.add_argument("--only", action="append", default=[], metavar="PREFIX",
                        help="score only the items whose id starts with PREFIX (repeatable)")
    parser.add_argument("--errors", type=int, default=0, metavar="N",
                        help="list up to N of news-monitor's mistakes on the dev part")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    items = load_items(args.data, args.limit)
    if args.only:
        items = [i for i in items if i.id.startswith(tuple(args.only))]
    methods = [monitor_method(), Method(KEYWORDS, keyword_events, keyword_figures)]
    found = {m.name: run(m, items) for m in methods}
    parts = {name: [i for i in items if i.part == name] for name, _ in PARTS}
    parts["all"] = items
    results = {name: evaluate(subset, methods, found) for name, subset in parts.items()}
    unknown = Counter(t for f in found[MONITOR].values() for t in (f.events or ())
                      if t not in VOCABULARY)
    if args.json:
        print(json.dumps({"parts": results, "not_scored": methods[0].why_not,
                          "failures": {m.name: dict(m.failures) for m in methods},
                          "unlabelled_types": dict(unknown)}, indent=2, ensure_ascii=False))
        return
    shown = args.data.relative_to(ROOT) if args.data.is_relative_to(ROOT) else args.data
    print(f"facts set: {len(items)} items from {shown} "
          f"({', '.join(f'{n} {len(s)}' for n, s in parts.items() if n != 'all')})")
    for half, why in methods[0].why_not.items():
        print(f"{MONITOR} {half}: NOT SCORED — {why}")
    for m in methods:
        fails = ", ".join(f"{k} x{v}" for k, v in sorted(m.failures.items())) or "none"
        print(f"{m.name}: {1000 * m.seconds / max(1, len(items)):.2f} ms per item; "
              f"items that raised: {fails}")
    if unknown:
        print("types the catalog found that the set does not label (not scored): "
              + ", ".join(f"{t} x{c}" for t, c in unknown.most_common()))
    for name, part in results.items():
        print_part(name, part, methods)
    if args.errors:
        print(f"\n{MONITOR} mistakes on the dev part (held-out mistakes are never listed):")
        for line in mistakes(parts["dev"], found[MONITOR], args.errors):
            print(line)


if __name__ == "__main__":
    main()
