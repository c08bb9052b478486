"""HTML listing pages (a news site's home or section page) → the feeds it advertises and its
article links.

With a CSS selector (the source's `links`), the links are the `href`s of the elements it
matches: an <a href> itself, else the first <a href> inside the element (a container such as
"div.card"), else the <a href> the element sits in ("a.card h3"). Nothing else is judged: the
analyst chose those links. A link's title is its text, else its aria-label or title
attribute, else (for a selected container whose first link is an image) the container's
first heading.

Without one, headline links are found by a heuristic. An <a href> is a headline when
- its context says so: it is inside an <h1>-<h4> or an <article>, or its own class/id or that
  of one of its two nearest ancestors contains headline, story, stories, title or teaser;
  and it is not inside <nav> or <footer> (or role="navigation" / role="contentinfo");
- its URL is on the same site: the host's registered domain (approximated as the last two
  labels, or three for "co.uk"-style suffixes such as co/com/org/gov/ac + a two-letter
  country) equals the page's, so www.example.org, example.org and news.example.org are one
  site;
- its URL looks like an article: not the home page or the page itself; no path segment is a
  tag/category/topic/author/login/search/about/contact/privacy/terms/ads/newsletter/feed
  page; not a file (.jpg, .pdf, .mp4, .xml …); and either the path has ≥ 2 segments, or the
  query carries a numeric id (?p=123), or its one segment is a slug with a digit or of ≥ 3
  hyphenated words ("/aleppo-shelling-resumes", not the section "/middle-east");
- its text has ≥ 3 words (or ≥ 6 characters of a script written without spaces: Chinese,
  Japanese, Thai …), so "More", "Read more" and image-only links are left out.
Links keep page order and are deduplicated by canonical URL (tracking parameters dropped);
a later duplicate only lends its text to an earlier link that had none.

Feeds advertised by <link rel="alternate"> (RSS, Atom, RDF, JSON Feed) are listed in page
order, comment feeds last, whether or not a selector is given: the poller uses them only when
there is none.

Parsing: BeautifulSoup (for soupsieve, which applies the analyst's selectors) on lxml's
HTML parser (libxml2, HTML5 tokenizer; linear). The standard library's `html.parser` it
replaces is quadratic on unclosed tags ("<a " × 14,000: 19 s) and gives up on "<![" junk;
selectolax (Lexbor) is quadratic on nesting. bs4's own tree costs about 1 KB and 10-20 µs
per tag whatever the parser (a 5 MB page of tiny tags: 20-30 s, 0.6-1 GB), hence MAX_TAGS.
The tree follows HTML5's rules, as browsers do: an <a> closes the <a> still open before it
(html.parser nested them).

Bounds: the first MAX_BODY bytes are read and, of their text, what comes before the
MAX_TAGS-th "<" (real pages have a few thousand tags: 3,229 at most in 88 news pages), at
most MAX_ANCHORS candidate elements are looked at, ancestor walks stop after MAX_DEPTH
levels and link text after MAX_TITLE characters, so a hostile page (thousands of nested
elements) costs linear time and bounded memory.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import unquote, urljoin, urlsplit

import soupsieve
from bs4 import (
    BeautifulSoup,
    MarkupResemblesLocatorWarning,
    NavigableString,
    Tag,
    XMLParsedAsHTMLWarning,
)

from monitor.sources.feeds import MAX_TITLE
from monitor.sources.htmldecode import decode_html
from monitor.text import clean, own_thread
from monitor.urls import canonical_url

__all__ = ["Link", "Listing", "SelectorError", "check_selector", "decode_html", "parse_listing"]

MAX_BODY = 5 * 1024 * 1024
MAX_TAGS = 50_000  # "<" characters of the page whose tags are parsed
MAX_ANCHORS = 10_000
MAX_DEPTH = 40
MAX_SELECTOR = 1000
_MAX_TEXT_NODES = 500  # nodes read for one link's text
_MAX_SEARCH_NODES = 5000  # nodes searched for the link inside a selected element

# bs4's advice to the programmer ("this looks like a URL", "this looks like XML") is noise
# for pages fetched from the web
warnings.filterwarnings("ignore", category=MarkupResemblesLocatorWarning)
warnings.filterwarnings("ignore", category=XMLParsedAsHTMLWarning)

_FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml", "application/rdf+xml",
                         "application/feed+json", "application/json"})
_HEADINGS = frozenset({"h1", "h2", "h3", "h4"})
_ALL_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_CHROME = frozenset({"nav", "footer"})
_CHROME_ROLES = frozenset({"navigation", "contentinfo"})
_HEADLINE_HINT = re.compile(r"headline|(?<!hi)stor(?:y|ies)|title|teaser", re.I)  # not "history"
_SKIP_SEGMENTS = frozenset({
    "tag", "tags", "category", "categories", "topic", "topics", "author", "authors",
    "login", "log-in", "signin", "sign-in", "logout", "register", "signup", "sign-up",
    "account", "search", "about", "about-us", "contact", "contact-us", "privacy",
    "privacy-policy", "terms", "terms-of-use", "terms-of-service", "cookies", "cookie-policy",
    "ads", "advertise", "advertising", "subscribe", "newsletter", "newsletters", "feed",
    "rss", "wp-login.php", "wp-admin"})
_FILE_EXTENSIONS = frozenset({
    "jpg", "jpeg", "png", "gif", "webp", "avif", "svg", "ico", "bmp", "tif", "tiff", "pdf",
    "zip", "gz", "rar", "7z", "mp3", "mp4", "m4a", "wav", "ogg", "webm", "mov", "avi",
    "doc", "docx", "xls", "xlsx", "ppt", "pptx", "csv", "xml", "rss", "json", "css", "js",
    "txt", "epub", "apk", "exe", "dmg"})
_NUMERIC_QUERY = re.compile(r"(?:^|&)[^=&]+=\d+(?:&|$)")
_UNSPACED = re.compile(r"[\u0e00-\u0e7f\u0e80-\u0eff\u1000-\u109f\u1780-\u17ff"
                       r"\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_SECOND_LEVEL = frozenset({"ac", "co", "com", "edu", "go", "gob", "gov", "gv", "ltd", "mil",
                           "ne", "net", "nic", "or", "org", "plc", "sch"})
_TEXT_BREAKS = frozenset({"br", "p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "img",
                          "figure", "figcaption", "section", "header", "footer", "time",
                          "picture", "ul", "ol", "dd", "dt", "blockquote", "table", "tr",
                          "td"})


class SelectorError(ValueError):
    """An invalid CSS selector; the message says what is wrong and where."""


@dataclass(frozen=True, slots=True)
class Link:
    url: str  # canonical, absolute, http(s) only
    title: str  # the link's text (plain, cleaned), may be ""


@dataclass(frozen=True, slots=True)
class Listing:
    feeds: tuple[str, ...]  # feeds the page advertises (absolute, canonical)
    links: tuple[Link, ...]  # article links found, in page order, deduplicated by url


def check_selector(selector: str) -> None:
    """Raise SelectorError unless `selector` is a CSS selector we can apply."""
    _compile(selector)


@own_thread
def parse_listing(body: bytes, *, url: str, selector: str | None = None, limit: int = 200,
                  content_type: str | None = None) -> Listing:
    """The feeds a listing page advertises and its article links (by `selector`, else by
    the headline heuristic), at most `limit` of them. Raises SelectorError for a bad
    selector; any bytes at all make a Listing (possibly empty).

    `content_type` is the HTTP Content-Type, whose charset wins over the page's <meta>."""
    matcher = _compile(selector) if selector is not None else None
    page_text = _first_tags(decode_html(body[:MAX_BODY], content_type), MAX_TAGS)
    soup = BeautifulSoup(page_text, "lxml")
    base = _base(soup, url)
    page = canonical_url(url) or canonical_url(base)
    feeds = _feeds(soup, base)
    if matcher is None:
        anchors = _headlines(soup, base, page)
    else:
        anchors = _selected(matcher.iselect(soup), base, page)
    return Listing(feeds=feeds, links=_unique(anchors, max(0, limit)))


def _first_tags(text: str, tags: int) -> str:
    """The text up to its `tags`-th "<" (every tag, comment or doctype starts with one)."""
    position = -1
    for _ in range(tags):
        position = text.find("<", position + 1)
        if position < 0:
            return text
    return text[:position]


def _compile(selector: str) -> soupsieve.SoupSieve:
    if not isinstance(selector, str) or not selector.strip():
        raise SelectorError("the selector is empty")
    if len(selector) > MAX_SELECTOR:
        raise SelectorError(f"the selector is longer than {MAX_SELECTOR} characters")
    try:
        return soupsieve.compile(selector)
    except soupsieve.SelectorSyntaxError as err:
        problem = str(err).splitlines()[0] if str(err).strip() else "invalid syntax"
        raise SelectorError(f"{problem} in {selector!r}") from None
    except (NotImplementedError, ValueError, TypeError) as err:
        raise SelectorError(f"{err} in {selector!r}") from None


def _base(soup: BeautifulSoup, url: str) -> str:
    tag = soup.find("base", href=True)
    if isinstance(tag, Tag):
        try:
            base = urljoin(url, str(tag["href"]).strip())
        except ValueError:
            return url
        if urlsplit(base).scheme.lower() in ("http", "https"):
            return base
    return url


def _feeds(soup: BeautifulSoup, base: str) -> tuple[str, ...]:
    found: dict[str, bool] = {}  # url → is a comments feed
    for tag in soup.find_all("link", href=True, limit=MAX_ANCHORS):
        rel = tag.get("rel") or ()
        rels = {r.lower() for r in (rel.split() if isinstance(rel, str) else rel)}
        kind = str(tag.get("type") or "").split(";", 1)[0].strip().lower()
        if "alternate" not in rels or kind not in _FEED_TYPES:
            continue
        feed = canonical_url(str(tag["href"]), base)
        if feed and feed not in found:
            title = str(tag.get("title") or "")
            found[feed] = "comment" in title.lower() or "/comments" in feed.lower()
    return tuple(sorted(found, key=found.__getitem__))  # stable: page order, comments last


def _headlines(soup: BeautifulSoup, base: str, page: str) -> Iterator[tuple[str, str]]:
    site = _site_of(page)
    for anchor in soup.find_all("a", href=True, limit=MAX_ANCHORS):
        link = canonical_url(str(anchor["href"]), base)
        if not link or link == page or not _same_site(link, site):
            continue
        if not _looks_like_article(link) or not _headline_context(anchor):
            continue
        title = _text(anchor)
        if _enough_words(title):
            yield link, title


def _selected(elements: Iterable[Tag], base: str, page: str) -> Iterator[tuple[str, str]]:
    for number, element in enumerate(elements):
        if number >= MAX_ANCHORS:
            return
        anchor = _anchor_for(element)
        if anchor is None:
            continue
        link = canonical_url(str(anchor["href"]), base)
        if not link or link == page:
            continue
        title = _text(anchor) or _label(anchor)
        if not title and element is not anchor:  # an image link first in a card
            heading = _first(element, lambda t: t.name in _ALL_HEADINGS)
            title = _text(heading) if heading is not None else ""
        yield link, title


def _unique(anchors: Iterable[tuple[str, str]], limit: int) -> tuple[Link, ...]:
    titles: dict[str, str] = {}
    if limit:
        for link, title in anchors:
            if link not in titles:
                titles[link] = title
                if len(titles) >= limit:
                    break
            elif not titles[link]:
                titles[link] = title
    return tuple(Link(url=link, title=title) for link, title in titles.items())


def _anchor_for(element: Tag) -> Tag | None:
    """The link an element selected by CSS stands for: itself, the first link inside it,
    or the link around it."""
    if _is_link(element):
        return element
    inside = _first(element, _is_link)
    if inside is not None:
        return inside
    for depth, parent in enumerate(element.parents):
        if depth >= 5:
            break
        if _is_link(parent):
            return parent
    return None


def _is_link(tag: Tag) -> bool:
    return tag.name == "a" and tag.has_attr("href")


def _first(element: Tag, wanted: Callable[[Tag], bool]) -> Tag | None:
    """The first descendant that is `wanted`, searched no further than a bounded number of
    nodes (a selected element may hold the rest of a broken page)."""
    for number, node in enumerate(element.descendants):
        if number > _MAX_SEARCH_NODES:
            break
        if isinstance(node, Tag) and wanted(node):
            return node
    return None


def _headline_context(anchor: Tag) -> bool:
    headline = _HEADLINE_HINT.search(_names(anchor)) is not None
    for depth, parent in enumerate(anchor.parents):
        if depth >= MAX_DEPTH:
            break
        if parent.name in _CHROME or str(parent.get("role") or "").lower() in _CHROME_ROLES:
            return False
        if not headline:
            headline = (parent.name in _HEADINGS or parent.name == "article"
                        or (depth < 2 and _HEADLINE_HINT.search(_names(parent)) is not None))
    return headline


def _names(tag: Tag) -> str:
    classes = tag.get("class") or ()
    if isinstance(classes, str):
        classes = (classes,)
    return " ".join((*classes, str(tag.get("id") or "")))


def _looks_like_article(link: str) -> bool:
    parts = urlsplit(link)
    segments = [s for s in unquote(parts.path).lower().split("/") if s]
    numeric_id = _NUMERIC_QUERY.search(parts.query) is not None
    if not segments:
        return numeric_id  # the home page, unless it is "/?p=123"
    if any(s in _SKIP_SEGMENTS for s in segments):
        return False
    stem, dot, extension = segments[-1].rpartition(".")
    if dot and extension in _FILE_EXTENSIONS:
        return False
    if len(segments) >= 2 or numeric_id:
        return True
    slug = stem if dot else extension
    return any(c.isdigit() for c in slug) or len([w for w in slug.split("-") if w]) >= 3


def _site_of(url: str) -> str | None:
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    if not host:
        return None
    host = host.rstrip(".")
    if ":" in host or host.replace(".", "").isdigit():  # an IP address is its own site
        return host
    labels = host.split(".")
    keep = 3 if (len(labels) >= 3 and len(labels[-1]) == 2
                 and labels[-2] in _SECOND_LEVEL) else 2
    return ".".join(labels[-keep:])


def _same_site(link: str, site: str | None) -> bool:
    return site is not None and _site_of(link) == site


def _text(anchor: Tag) -> str:
    """The visible text of a link, read no further than a title's length."""
    parts: list[str] = []
    size = 0
    for count, node in enumerate(anchor.descendants):
        if count > _MAX_TEXT_NODES:
            break
        if isinstance(node, Tag):
            if node.name in _TEXT_BREAKS:
                parts.append(" ")
        elif type(node) is NavigableString:  # not comments, scripts, styles, templates
            parts.append(node)
            size += len(node)
            if size > 2 * MAX_TITLE:
                break
    return clean("".join(parts), MAX_TITLE)


def _label(anchor: Tag) -> str:
    return clean(str(anchor.get("aria-label") or anchor.get("title") or ""), MAX_TITLE)


def _enough_words(title: str) -> bool:
    return len(title.split()) >= 3 or len(_UNSPACED.findall(title)) >= 6
