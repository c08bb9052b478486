"""One story, many sources: near-identical headlines from different outlets are one story,
which alerts once and names every source that carried it."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.records import Entry
from monitor.stories import BANDS, MAX_PER_BAND, BandIndex, Stories, story_key
from tests.conftest import rss_feed, run_cli, write_config

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def entry(title: str, url: str, source: str = "S") -> Entry:
    return Entry(source=source, key=url, url=url, title=title, summary="")


def test_near_identical_headlines_from_different_urls_are_one_story():
    stories = Stories()
    first = stories.assign(entry("Syrian army repels rebel advance in Aleppo",
                                 "https://a.example/1"), NOW)
    assert stories.assign(entry("Syrian army repels rebel advance in Aleppo - Reuters",
                                "https://b.example/x"), NOW) == first
    assert stories.assign(entry("SYRIAN ARMY REPELS REBEL ADVANCE IN ALEPPO",
                                "https://c.example/y?id=3"), NOW) == first


def test_different_news_about_the_same_place_stays_apart():
    stories = Stories()
    first = stories.assign(entry("Syrian army repels rebel advance in Aleppo",
                                 "https://a.example/1"), NOW)
    other = stories.assign(entry("Aleppo football club reaches the Syrian cup final",
                                 "https://b.example/2"), NOW)
    assert other != first


def test_the_same_url_is_the_same_story_whatever_its_title():
    stories = Stories()
    first = stories.assign(entry("Breaking", "https://a.example/1"), NOW)
    assert stories.assign(entry("Updated headline entirely", "https://a.example/1"),
                          NOW) == first


def test_a_duplicate_is_found_among_thousands_of_near_alike_headlines():
    # a feed that numbers its items: every headline shares most words with every other, so
    # each one is a band candidate of all the rest; only the closest few are compared
    stories = Stories()
    keys = [stories.assign(entry(f"Story a{n} b{n}: talks resume in Geneva",
                                 f"https://a.example/{n}"), NOW) for n in range(3000)]
    assert len(set(keys)) == 3000  # J = 4/8 between any two: each its own story
    again = entry("Story a1717 b1717: talks resume in Geneva - Reuters",
                  "https://b.example/wire")
    assert stories.assign(again, NOW) == keys[1717]


def test_short_generic_headlines_do_not_group():
    stories = Stories()
    first = stories.assign(entry("Live updates", "https://a.example/1"), NOW)
    assert stories.assign(entry("Live updates", "https://b.example/2"), NOW) != first


def test_grouping_forgets_stories_older_than_its_window():
    stories = Stories(window=timedelta(hours=48))
    first = stories.assign(entry("Syrian army repels rebel advance in Aleppo",
                                 "https://a.example/1"), NOW)
    later = NOW + timedelta(hours=49)
    assert stories.assign(entry("Syrian army repels rebel advance in Aleppo again",
                                "https://b.example/2"), later) != first


def test_a_rebuilt_index_groups_as_before():
    stories = Stories()
    stories.load([(story_key(entry("x", "https://a.example/1")), "https://a.example/1",
                   "Syrian army repels rebel advance in Aleppo", NOW)])
    assert stories.assign(entry("Syrian army repels rebel advance in Aleppo (video)",
                                "https://b.example/2"), NOW) == \
        story_key(entry("x", "https://a.example/1"))


def test_same_story_from_three_feeds_gives_one_alert_naming_all_three(site, tmp_path):
    titles = ["Airstrikes pound eastern Aleppo overnight",
              "Airstrikes pound eastern Aleppo overnight - Reuters",
              "Airstrikes Pound Eastern Aleppo Overnight, Residents Say"]
    for i, title in enumerate(titles):
        site.feeds[f"/f{i}.xml"] = rss_feed({"title": title, "link": f"https://o{i}.example/"
                                             f"story-{i}", "description": "Warplanes struck."})
    config = write_config(tmp_path, channels={"hook": f"json://127.0.0.1:{site.port}/hook"},
                          sources=[{"name": name, "feed": site.url(f"/f{i}.xml")}
                                   for i, name in enumerate(["Agency", "Wire", "Daily"])])
    assert run_cli("once", "-c", str(config)).returncode == 0
    posts = [json.loads(p) for p in site.posts["/hook"]]
    assert len(posts) == 1
    assert all(name in posts[0]["message"] for name in ("Agency", "Wire", "Daily"))


# Keys from a small pool (so keys repeat and collide in the table), full 64-bit range; ids
# small. Each step adds, removes a present (key, id), or removes one that is absent.
_steps = st.lists(st.tuples(st.sampled_from(["add", "remove", "remove-absent"]),
                            st.integers(0, 40), st.integers(0, 30)), max_size=3000)
_pool = st.lists(st.integers(-(1 << 63), (1 << 63) - 1), min_size=41, max_size=41)


@settings(max_examples=60, deadline=None)
@given(_steps, _pool, st.integers(1, 6))
def test_band_index_answers_as_a_dict_of_its_newest_ids_would(steps, pool, per_key):
    # the oracle: per key, a multiset of ids holding the `per_key` largest (newest) added
    index, oracle = BandIndex(capacity=8, per_key=per_key), Counter()
    for op, k, ident in steps:
        key = pool[k]
        if op == "add":
            index.add(key, ident)
            held = sorted(i for (kk, i), n in oracle.items() if kk == key for _ in range(n))
            if len(held) < per_key:
                oracle[key, ident] += 1
            elif ident > held[0]:
                oracle[key, held[0]] -= 1
                oracle[key, ident] += 1
        elif op == "remove" and oracle[key, ident]:
            index.remove(key, ident)
            oracle[key, ident] -= 1
        elif op == "remove-absent" and not oracle[key, ident]:
            index.remove(key, ident)  # nothing to remove: nothing changes
    assert len(index) == sum(oracle.values())
    for key in set(pool):
        expected = Counter({i: n for (k, i), n in oracle.items() if k == key and n})
        assert Counter(index.get(key)) == expected
        assert len(index.get(key)) <= per_key


def _flood_examined(stories: Stories, start: int, count: int) -> list[int]:
    """Assign `count` numbered near-alike headlines; the band candidates each one met."""
    examined = []
    for n in range(start, start + count):
        before = stories.examined
        stories.assign(entry(f"Story {n}-{n % 20}: talks resume in Geneva",
                             f"https://a.example/{n}"), NOW)
        examined.append(stories.examined - before)
    return examined


def test_a_flood_of_near_identical_headlines_meets_a_bounded_number_of_candidates():
    # "Story 412-7: talks resume in Geneva", thousands of them: every band key is shared by
    # most of the flood, yet each assignment meets at most MAX_PER_BAND per band
    stories = Stories()
    late = _flood_examined(stories, 0, 5000)[-500:]
    assert max(late) <= BANDS * MAX_PER_BAND  # uncapped, it would be thousands
    assert len(stories) == 5000


def test_a_true_duplicate_is_still_found_after_a_flood():
    stories = Stories()
    first = stories.assign(entry("Syrian army repels rebel advance in Aleppo",
                                 "https://a.example/first"), NOW)
    _flood_examined(stories, 0, 3000)
    assert stories.assign(entry("Syrian army repels rebel advance in Aleppo - Reuters",
                                "https://b.example/wire"), NOW) == first
