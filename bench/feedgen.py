"""Realistic RSS 2.0 and Atom 1.0 news feeds for benchmarks: what a busy news site serves.

Each item has a title, a link with tracking parameters, a permalink guid (Atom: id), a date,
an author, two categories, an HTML description (Atom: summary) of two sentences with
entities, a full HTML body of about 2 KB in CDATA (content:encoded; Atom: escaped HTML
content) and a media thumbnail; the channel has its own metadata. Deterministic per seed.
"""

from __future__ import annotations

import random
from email.utils import formatdate
from html import escape

_WORDS = [
    "government",
    "talks",
    "minister",
    "city",
    "council",
    "forces",
    "border",
    "election",
    "market",
    "storm",
    "river",
    "police",
    "court",
    "health",
    "school",
    "water",
    "power",
    "energy",
    "trade",
    "union",
    "strike",
    "port",
    "rail",
    "road",
    "protest",
    "vote",
    "budget",
    "report",
    "said",
    "on",
    "monday",
    "tuesday",
    "officials",
    "residents",
    "aid",
    "ceasefire",
    "hospital",
    "farmers",
    "prices",
    "fuel",
    "northern",
    "southern",
    "capital",
    "region",
]
_NOW = 1_700_000_000.0


def _words(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(n))


def _body(rng: random.Random) -> str:
    paragraphs = [
        f"<p>{_words(rng, 40).capitalize()} &amp; {_words(rng, 12)}, "
        f'<a href="https://example.org/{rng.randrange(10**6)}">{_words(rng, 3)}</a>'
        f" — “{_words(rng, 8)}”.</p>"
        for _ in range(6)
    ]
    return "".join(paragraphs) + '<p><img src="https://cdn.example.org/p.jpg" alt=""/></p>'


def rss(items: int, seed: int = 1) -> bytes:
    rng = random.Random(seed)
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:media="http://search.yahoo.com/mrss/" '
        'xmlns:atom="http://www.w3.org/2005/Atom"><channel>'
        f"<title>Daily {seed}</title><link>https://news{seed}.example.org/</link>"
        '<atom:link href="https://news.example.org/rss" rel="self" '
        'type="application/rss+xml"/>'
        "<description>World, politics and business</description><language>en-gb</language>"
        f"<lastBuildDate>{formatdate(_NOW, usegmt=True)}</lastBuildDate><ttl>15</ttl>"
    ]
    for i in range(items):
        link = f"https://news{seed}.example.org/{2023}/{i}/{_words(rng, 4).replace(' ', '-')}"
        out.append(
            f"<item><title>{escape(_words(rng, 9).capitalize())} &amp; more</title>"
            f"<link>{link}?utm_source=rss&amp;utm_medium=feed</link>"
            f'<guid isPermaLink="true">{link}</guid>'
            f"<pubDate>{formatdate(_NOW - 900 * i, usegmt=True)}</pubDate>"
            f"<dc:creator>{_words(rng, 2).title()}</dc:creator>"
            f"<category>{_words(rng, 1)}</category><category>{_words(rng, 1)}</category>"
            f"<description>{escape('<p>' + _words(rng, 30) + ' &amp; ' + _words(rng, 10))}"
            f"</description><content:encoded><![CDATA[{_body(rng)}]]></content:encoded>"
            f'<media:thumbnail url="https://cdn.example.org/{i}.jpg" width="320" '
            'height="180"/></item>'
        )
    return ("".join(out) + "</channel></rss>").encode()


def atom(items: int, seed: int = 1) -> bytes:
    rng = random.Random(seed)
    out = [
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>Wire {seed}</title><id>urn:uuid:feed-{seed}</id>"
        f"<updated>2023-11-14T22:13:20Z</updated>"
        f'<link rel="alternate" href="https://wire{seed}.example.net/"/>'
    ]
    for i in range(items):
        link = f"https://wire{seed}.example.net/2023/{i}/{_words(rng, 4).replace(' ', '-')}"
        minute = (i * 7) % 60
        out.append(
            f'<entry><title type="html">{escape(_words(rng, 9).capitalize())}</title>'
            f'<link rel="alternate" type="text/html" href="{link}"/><id>{link}</id>'
            f"<published>2023-11-14T{10 + i % 12:02d}:{minute:02d}:00Z</published>"
            f"<updated>2023-11-14T{10 + i % 12:02d}:{minute:02d}:30Z</updated>"
            f"<author><name>{_words(rng, 2).title()}</name></author>"
            f'<category term="{_words(rng, 1)}"/>'
            f'<summary type="html">{escape(_words(rng, 30))}</summary>'
            f'<content type="html">{escape(_body(rng))}</content></entry>'
        )
    return ("".join(out) + "</feed>").encode()


def realistic() -> dict[str, bytes]:
    """Feeds of 20–100 items, RSS and Atom, by label."""
    return {
        "RSS 20 items": rss(20),
        "RSS 50 items": rss(50, 2),
        "RSS 100 items": rss(100, 3),
        "Atom 20 items": atom(20),
        "Atom 50 items": atom(50, 2),
        "Atom 100 items": atom(100, 3),
    }
