"""`news-monitor test` and `news-monitor backtest`: what analysts use to trust a rule before
it goes live."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from werkzeug import Response

from tests.conftest import ROOT, rss_feed, run_cli, write_config

DATA = Path(__file__).parent / "data"
SEED = DATA / "aleppo-article.txt"
FOOTBALL = DATA / "aleppo-football.txt"
SHIPPED = ROOT / "config" / "monitor.yaml"


def test_seed_article_fires_the_shipped_fighting_isis_and_humanitarian_rules():
    result = run_cli("test", "-c", str(SHIPPED), str(SEED))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for rule in ("Fighting in Aleppo", "ISIS claims an attack", "Humanitarian access"):
        assert f"{rule} (syria-conflict)" in out
    assert "[counterattack]" in out and "[suicide bombing]" in out  # highlighted in snippets
    assert "hit: airstrike — text ×1: “airstrikes”" in out


def test_football_article_about_aleppo_fires_nothing():
    result = run_cli("test", "-c", str(SHIPPED), str(FOOTBALL))
    assert result.returncode == 1
    assert "no rule fires" in result.stdout


def test_json_lists_matches_with_hits_at_their_offsets():
    result = run_cli("test", "--json", "-c", str(SHIPPED), str(SEED))
    report = json.loads(result.stdout)
    text = SEED.read_text(encoding="utf-8")
    body = "\n".join(line.strip() for line in text.strip().splitlines()[1:]).strip()
    fields = {"title": report["title"], "text": body}
    rules = {m["rule"]: m for m in report["matches"]}
    assert {"Fighting in Aleppo", "ISIS claims an attack", "Humanitarian access"} <= set(rules)
    for match in report["matches"]:
        assert match["watchlist"] == "syria-conflict" and match["score"] > 0
        for hit in match["hits"]:
            surface = fields[hit["field"]][hit["start"]:hit["end"]]
            assert surface.casefold().replace(" ", "")[:4] in \
                hit["term"].casefold().replace(" ", "") or hit.get("concept")


def test_reads_stdin_and_html_pages_from_a_url(site):
    result = run_cli("test", "-c", str(SHIPPED), "-", input_text=SEED.read_text("utf-8"))
    assert result.returncode == 0 and "Fighting in Aleppo" in result.stdout
    paragraphs = "".join(f"<p>{line}</p>" for line in
                         SEED.read_text("utf-8").splitlines()[1:] if line.strip())
    page = (f"<html><head><title>Site name</title><meta property='og:title' content='Army "
            f"repels advance in Aleppo'></head><body><nav><p>Menu ceasefire</p></nav>"
            f"<article>{paragraphs}</article><footer><p>Share</p></footer></body></html>")
    site.handlers["/article.html"] = lambda r: Response(page, content_type="text/html")
    result = run_cli("test", "-c", str(SHIPPED), site.url("/article.html"))
    assert result.returncode == 0, result.stderr
    assert "Army repels advance in Aleppo" in result.stdout
    assert "ISIS claims an attack" in result.stdout


def test_unreadable_source_is_an_error_not_a_traceback():
    result = run_cli("test", "-c", str(SHIPPED), "no/such/file.txt")
    assert result.returncode == 2
    assert "no/such/file.txt: cannot read" in result.stderr
    assert "Traceback" not in result.stderr


FIGHT = {"title": "Airstrikes on Aleppo", "link": "https://e.org/1",
         "description": "Warplanes carried out airstrikes in Aleppo."}
TRUCE = {"title": "Ceasefire holds in Homs", "link": "https://e.org/2",
         "description": "A ceasefire agreed on Sunday held overnight."}
OTHER = {"title": "Rates unchanged", "link": "https://e.org/3", "description": "Markets."}


def test_backtest_lists_alerts_an_edit_would_add_and_drop(site, tmp_path):
    site.feeds["/f.xml"] = rss_feed(FIGHT, TRUCE, OTHER)
    config = write_config(tmp_path, sources=[{"name": "F", "feed": site.url("/f.xml")}],
                          rules=[{"name": "Fighting", "places": ["Aleppo"],
                                  "keywords": ["airstrike"]}])
    assert run_cli("once", "-c", str(config)).returncode == 0

    unchanged = json.loads(run_cli("backtest", "--json", "-c", str(config)).stdout)
    assert (unchanged["entries"], unchanged["unchanged"]) == (3, 1)
    assert unchanged["added"] == [] and unchanged["dropped"] == []

    watchlist = tmp_path / "watchlists" / "test.yaml"
    data = yaml.safe_load(watchlist.read_text("utf-8"))
    data["rules"] = [{"name": "Fighting", "places": ["Aleppo"], "keywords": ["shelling"]},
                     {"name": "Truce", "keywords": ["ceasefire"]}]
    watchlist.write_text(yaml.safe_dump(data), encoding="utf-8")
    report = json.loads(run_cli("backtest", "--json", "--since", "1d", "-c",
                                str(config)).stdout)
    assert [(c["rule"], c["title"]) for c in report["added"]] == [
        ("Truce", "Ceasefire holds in Homs")]
    assert [(c["rule"], c["title"]) for c in report["dropped"]] == [
        ("Fighting", "Airstrikes on Aleppo")]

    text = run_cli("backtest", "-c", str(config)).stdout
    assert "+ " in text and "[test-watch / Truce] Ceasefire holds in Homs" in text
    assert "1 alerts would be added, 1 dropped, 0 unchanged" in text


def catalog_config(tmp_path: Path, rules: list[dict]) -> Path:
    return write_config(tmp_path, sources=[{"name": "S", "feed": str(SEED)}], rules=rules)


def fired(config: Path, title: str, text: str) -> list[str]:
    from monitor.config import load_config
    from monitor.match import Matcher
    from monitor.records import Document

    matcher = Matcher.compile(load_config(config).rules)
    return [m.rule for m in matcher.match(Document(title, text))]


def test_places_expand_to_the_gazetteer_names_of_the_place(tmp_path):
    config = catalog_config(tmp_path, [{"name": "Aleppo", "places": ["Aleppo"],
                                        "keywords": ["shelling"]}])
    assert fired(config, "Shelling in Halab", "") == ["Aleppo"]
    assert fired(config, "قصف", "shelling reported in حلب today") == ["Aleppo"]
    assert fired(config, "Shelling in Veroia", "") == []  # a Greek city, not Aleppo


def test_groups_expand_to_the_catalog_aliases_and_short_ones_need_capitals(tmp_path):
    config = catalog_config(tmp_path, [{"name": "ISIS", "groups": ["ISIS"],
                                        "keywords": ["attack"]}])
    assert fired(config, "Daesh attack", "") == ["ISIS"]
    assert fired(config, "Attack claimed by Islamic State", "") == ["ISIS"]
    assert fired(config, "IS claims attack", "") == ["ISIS"]
    assert fired(config, "What is an attack", "") == []


def test_within_covers_a_countrys_governorates_and_towns(tmp_path):
    config = catalog_config(tmp_path, [{"name": "Syria", "places": ["Syria"], "within": True,
                                        "keywords": ["clashes"]}])
    assert fired(config, "Clashes near Manbij", "") == ["Syria"]
    assert fired(config, "Clashes in Idlib province", "") == ["Syria"]
    plain = catalog_config(tmp_path / "plain", [{"name": "Syria", "places": ["Syria"],
                                                 "keywords": ["clashes"]}])
    assert fired(plain, "Clashes near Manbij", "") == []


def test_unknown_place_is_matched_as_written_with_a_note(tmp_path):
    config = catalog_config(tmp_path, [{"name": "Village", "places": ["Tell Abu Qasrayn"],
                                        "keywords": ["airstrike"]}])
    result = run_cli("check", "-c", str(config))
    assert result.returncode == 0
    assert "note: unknown place 'Tell Abu Qasrayn'" in result.stderr
    assert "test.yaml:" in result.stderr
    assert fired(config, "Airstrike on Tell Abu Qasrayn", "") == ["Village"]


def test_aliases_weights_and_min_score_from_a_watchlist(tmp_path):
    watchlists = tmp_path / "watchlists"
    config = catalog_config(tmp_path, [{"name": "x", "keywords": ["x"]}])
    (watchlists / "test.yaml").write_text("""\
name: w
aliases:
  violence: [airstrike, shelling, {term: massacre, weight: 5}]
rules:
  - name: Violence near Aleppo
    query: 'Aleppo NEAR/5 @violence'
  - name: Serious only
    keywords: [airstrike, {term: massacre, weight: 5}]
    min_score: 5
  - name: Bad alias
    query: '@nope AND x'
""", encoding="utf-8")
    result = run_cli("check", "-c", str(config))
    assert result.returncode == 1
    assert "test.yaml:11:" in result.stderr and "unknown alias '@nope'" in result.stderr
    text = (watchlists / "test.yaml").read_text("utf-8")
    (watchlists / "test.yaml").write_text(text.replace("@nope", "@violence"), "utf-8")
    assert sorted(fired(config, "", "A massacre in Aleppo.")) == ["Serious only",
                                                                   "Violence near Aleppo"]
    assert fired(config, "", "An airstrike in Aleppo.") == ["Violence near Aleppo"]
    assert fired(config, "", "An airstrike in Aleppo, x.") == ["Bad alias",
                                                                "Violence near Aleppo"]
