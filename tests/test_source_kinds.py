"""Every kind of source end to end: a news site's listing page, a news sitemap index, a JSON
Feed and an Atom feed on a local server; `news-monitor once` finds every article, fetches
its page and matches the article's own text."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from xml.sax.saxutils import escape

from werkzeug import Response

from tests.conftest import run_cli, write_config

RULES = [{"name": "Fighting in Aleppo", "places": ["Aleppo"], "keywords": ["airstrike"]}]
NOW = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")  # a first poll alerts on recent items


def article_page(slug: str, title: str) -> str:
    """A realistic article page whose body alone (not its title) holds the rule's words,
    followed by the clutter a news page carries."""
    body = (f"<p>Residents of Aleppo said warplanes carried out an airstrike overnight on the "
            f"{slug} district, the third in a week.</p><p>Rescue workers searched the rubble "
            f"until dawn, and local officials said the toll was expected to rise.</p>")
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{escape(title)} | Example News</title>
<meta property="og:title" content="{escape(title)}">
<link rel="canonical" href="https://news.example.org/{slug}?utm_source=x">
<script type="application/ld+json">{{"@type": "NewsArticle", "headline": "{title}",
"datePublished": "{NOW}", "author": {{"name": "Desk Reporter"}}}}</script>
</head><body><nav><a href="/">Home</a> <a href="/world">World</a></nav>
<div class="share-bar">Share on Facebook Share on Twitter</div>
<article><h1>{escape(title)}</h1><p class="byline">By Desk Reporter</p>{body}</article>
<aside class="related"><h3>Related stories</h3><ul><li><a href="/x">Markets rally</a></li>
</ul></aside><div class="comments">Leave a comment</div>
<footer>Follow us on Twitter · © Example News</footer></body></html>"""


def serve(site, path: str, body: str | bytes, kind: str) -> None:
    site.handlers[path] = lambda r: Response(body, content_type=kind)


def test_once_discovers_every_article_of_every_kind_and_matches_its_text(site, tmp_path):
    pages = {f"/news/{slug}.html": f"Night of fear in the {slug} district"
             for slug in ("site1", "site2", "map1", "map2", "map3", "json1", "atom1")}
    for path, title in pages.items():
        serve(site, path, article_page(path.split("/")[-1][:-5], title), "text/html")

    listing = ("<html><body><nav><a href='/about'>About us</a></nav><main>"
               + "".join(f"<article><h2><a href='/news/{s}.html?utm_campaign=home'>"
                         f"{escape(pages[f'/news/{s}.html'])}</a></h2></article>"
                         for s in ("site1", "site2"))
               + "</main><footer><a href='/privacy'>Privacy</a></footer></body></html>")
    serve(site, "/", listing, "text/html")

    def urlset(slugs):
        urls = "".join(
            f"<url><loc>{site.url(f'/news/{s}.html')}</loc><news:news><news:publication>"
            f"<news:name>Example</news:name><news:language>en</news:language>"
            f"</news:publication><news:publication_date>2099-01-01T00:00:00Z"
            f"</news:publication_date><news:title>{escape(pages[f'/news/{s}.html'])}"
            f"</news:title></news:news></url>" for s in slugs)
        return ('<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/'
                'schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/'
                f'0.9">{urls}</urlset>')

    serve(site, "/sitemap-news-1.xml", urlset(["map1", "map2"]), "application/xml")
    serve(site, "/sitemap-news-2.xml", urlset(["map3"]), "application/xml")
    index = ('<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.'
             'org/schemas/sitemap/0.9">'
             + "".join(f"<sitemap><loc>{site.url(p)}</loc></sitemap>"
                       for p in ("/sitemap-news-1.xml", "/sitemap-news-2.xml"))
             + "</sitemapindex>")
    serve(site, "/sitemap-index.xml", index, "application/xml")

    serve(site, "/feed.json", json.dumps({
        "version": "https://jsonfeed.org/version/1.1", "title": "Example JSON",
        "home_page_url": site.url("/"),
        "items": [{"id": "json1", "url": site.url("/news/json1.html"),
                   "title": pages["/news/json1.html"], "summary": "A night of fear."}]}),
        "application/feed+json")
    serve(site, "/atom.xml", f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Example Atom</title><id>urn:x</id>
<updated>{NOW}</updated><entry><title>{escape(pages['/news/atom1.html'])}</title>
<id>urn:atom1</id><link href="{site.url('/news/atom1.html')}"/><updated>{NOW}
</updated><summary>A night of fear.</summary></entry></feed>""", "application/atom+xml")

    config = write_config(tmp_path, rules=RULES, sources=[
        {"name": "Site", "site": site.url("/"), "links": "article h2 a", "fetch_article": True},
        {"name": "Sitemap", "sitemap": site.url("/sitemap-index.xml"), "fetch_article": True},
        {"name": "JSON", "feed": site.url("/feed.json"), "fetch_article": True},
        {"name": "Atom", "feed": site.url("/atom.xml"), "fetch_article": True},
    ])
    result = run_cli("once", "--json", "-c", str(config))
    assert result.returncode == 0, result.stderr
    alerts = [json.loads(line) for line in result.stdout.splitlines()]
    found = {a["url"] for a in alerts}
    assert found == {f"https://news.example.org/{p.split('/')[-1][:-5]}" for p in pages}
    for alert in alerts:  # the words are only in the article body: extraction worked
        assert {h["field"] for h in alert["hits"]} == {"text"}
        assert alert["title"] in pages.values()
    assert {a["source"] for a in alerts} == {"Site", "Sitemap", "JSON", "Atom"}

    status = json.loads(run_cli("status", "--json", "-c", str(config)).stdout)
    kinds = {r["source"]: (r["kind"], r["entries_seen"], r["errors"]) for r in status["sources"]}
    assert kinds == {"Site": ("site", 2, 0), "Sitemap": ("sitemap", 3, 0),
                     "JSON": ("feed", 1, 0), "Atom": ("feed", 1, 0)}
