"""`news-monitor extract PAGE...`: a saved page, a gzipped one, a URL, --json, errors."""

from __future__ import annotations

import gzip
import json
import re
import shutil
from pathlib import Path

from tests.conftest import Site, run_cli, write_config
from tests.test_extract_choice import ARABIC, SEED


def test_extract_prints_the_text_and_metadata_of_a_saved_page() -> None:
    result = run_cli("extract", str(SEED))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Syrian army repel armed opposition’s advance in Aleppo" in out
    assert "Karim Haddad" in out and "2016-08-15T11:32:00+00:00" in out
    assert re.search(r"^path: +(trafilatura|marked-body|heuristic|json-ld)$", out, re.M)
    assert "Shoigu" in out and "Leave a comment" not in out


def test_extract_json_gives_one_object_per_page(tmp_path: Path) -> None:
    zipped = tmp_path / "seed.html.gz"
    zipped.write_bytes(gzip.compress(SEED.read_bytes()))
    arabic = tmp_path / "arabic.html"
    shutil.copy(ARABIC / "aleppo-windows-1256.html", arabic)
    result = run_cli("extract", "--json", str(zipped), str(arabic))
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["page"] for r in records] == [str(zipped), str(arabic)]
    seed, ar = records
    assert seed["title"] == "Syrian army repel armed opposition’s advance in Aleppo"
    assert seed["byline"] == "Karim Haddad" and seed["language"] == "en"
    assert seed["published"] == "2016-08-15T11:32:00+00:00"
    assert seed["canonical_url"] and seed["image"] and "Shoigu" in seed["text"]
    assert set(seed) == {"page", "path", "title", "byline", "published", "updated",
                         "language", "canonical_url", "image", "text"}
    assert ar["language"] == "ar" and "حلب" in ar["text"]


def test_extract_reports_an_unreadable_page_and_shows_the_others(tmp_path: Path) -> None:
    result = run_cli("extract", str(tmp_path / "missing.html"), str(SEED))
    assert result.returncode == 2
    assert "missing.html: cannot read" in result.stderr
    assert "Shoigu" in result.stdout


def test_extract_fetches_a_url_with_the_configs_poll_settings(tmp_path: Path,
                                                             site: Site) -> None:
    from werkzeug import Response

    data = (ARABIC / "aleppo-undeclared.html").read_bytes()  # no meta: the header says
    site.handlers["/ar"] = lambda _request: Response(
        data, content_type="text/html; charset=windows-1256")
    config = write_config(tmp_path, sources=[{"name": "Local", "feed": site.url("/feed")}],
                          poll={"allow_private": ["127.0.0.1"]})
    result = run_cli("extract", "--json", "-c", str(config), site.url("/ar"))
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["language"] == "ar" and "فصائل المعارضة" in record["text"]
    assert record["canonical_url"] == site.url("/ar")
    # with the defaults (no config file) the URL given is trusted as a source's own is,
    # but a redirect from it to another private address is refused
    site.handlers["/go"] = lambda _request: Response(
        status=302, headers={"Location": f"http://127.0.0.2:{site.port}/ar"})
    default = run_cli("extract", "-c", str(tmp_path / "none.yaml"), site.url("/ar"),
                      site.url("/go"))
    assert default.returncode == 2
    assert default.stdout.startswith(f"== {site.url('/ar')}\n")
    assert "فصائل المعارضة" in default.stdout and site.url("/go") not in default.stdout
    assert f"{site.url('/go')}: refused 127.0.0.2" in default.stderr


