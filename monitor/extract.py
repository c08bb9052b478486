"""An article's main text and metadata from its HTML page, or a plain-text file.

`extract_article` is what the pipeline calls when a source says `fetch_article: true`. Its
text extractor was chosen by measurement (`python bench/extract.py`: token precision,
recall and F1 on the real news pages in tests/data/pages):

- where the publisher marks the body (itemprop=articleBody, or a JSON-LD articleBody), our
  own reading of that element (`heuristic_text`), which did at least as well as trafilatura
  on every such page;
- elsewhere trafilatura, after our clutter XPaths are pruned, and then a pass that drops the
  furniture lines it lets through ("follow us on Twitter", "Short link", "Leave a comment",
  captchas, share and related-story prompts); trafilatura handled unmarked layouts better
  than our densest-block guess.

The metadata (title, byline, published and updated dates, language, canonical URL, lead
image) is always our own reading of JSON-LD, OpenGraph, meta tags and <time>.

Pages are untrusted: the input is capped at 5 MB, bytes are decoded by BOM or <meta charset>
(else UTF-8 with replacement), a tree too large for trafilatura to finish quickly goes to
the heuristic, whose walks are iterative and bounded. Nothing here raises on bad HTML.

`extract_html` (title and text of a page as a Document) and `extract_text` serve
`news-monitor test`; `looks_like_html` tells the two kinds of input apart.
"""

from __future__ import annotations

import codecs
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import lxml.html
from lxml import etree

from monitor.records import Document
from monitor.text import clean, own_thread
from monitor.urls import canonical_url

MAX_PAGE = 5_000_000  # bytes (or characters) of a page we look at; the rest is ignored
MAX_TEXT = 200_000  # characters of article text we keep
MAX_PARAGRAPHS = 5_000  # paragraphs of article text we keep (real articles: < 300)
# trafilatura walks the tree several times; past this many elements it takes seconds, so
# larger pages go to the heuristic extractor (the article pages in tests/data/pages: < 1,000)
MAX_TREE = 10_000
# ... and one text node of megabytes costs it a second; real articles are far below this
MAX_TRAFILATURA_TEXT = 1_000_000


@dataclass(frozen=True, slots=True)
class Article:
    """What an article page says about itself."""

    title: str
    text: str  # plain text; paragraphs separated by "\n\n"
    byline: str | None = None
    published: datetime | None = None  # UTC-aware
    updated: datetime | None = None  # UTC-aware
    language: str | None = None  # primary language subtag, e.g. "en"
    canonical_url: str | None = None  # absolute, tracking parameters removed
    image: str | None = None  # lead image, absolute


# --- decoding ---------------------------------------------------------------------------

_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF32_LE, "utf-32-le"),
         (codecs.BOM_UTF32_BE, "utf-32-be"), (codecs.BOM_UTF16_LE, "utf-16-le"),
         (codecs.BOM_UTF16_BE, "utf-16-be"))
_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_:.\-]+)""", re.IGNORECASE)


def decode_page(page: str | bytes) -> str:
    """Text of a page: a BOM wins, then <meta charset> in the first 4 KB, then UTF-8.

    Undecodable bytes become U+FFFD; an unknown or UTF-16 charset named in the (ASCII) meta
    tag is ignored, as browsers do.
    """
    if isinstance(page, str):
        return page[:MAX_PAGE]
    data = bytes(page[:MAX_PAGE])
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(encoding, errors="replace")
    found = _META_CHARSET.search(data[:4096])
    encoding = "utf-8"
    if found:
        try:
            name = codecs.lookup(found.group(1).decode("ascii")).name
        except (LookupError, UnicodeDecodeError):
            name = "utf-8"
        if not name.startswith(("utf-16", "utf-32")):
            # the WHATWG rule: a page that says latin-1 is decoded as windows-1252
            encoding = "cp1252" if name in ("latin-1", "iso8859-1", "ascii") else name
    return data.decode(encoding, errors="replace")


def parse_html(page: str) -> Any:
    """An lxml tree of the page, or None when there is nothing to parse."""
    if not page.strip():
        return None
    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
    try:
        return lxml.html.document_fromstring(page.encode("utf-8", "replace"), parser=parser)
    except (etree.ParserError, ValueError):
        return None


# --- metadata ---------------------------------------------------------------------------

_ARTICLE_TYPES = {"article", "newsarticle", "reportagenewsarticle", "blogposting",
                  "analysisnewsarticle", "opinionnewsarticle", "webpage", "report",
                  "backgroundnewsarticle", "liveblogposting", "socialmediaposting"}


def _json_ld(tree: Any) -> dict[str, Any]:
    """The page's article object from its JSON-LD scripts ({} when none)."""
    best: dict[str, Any] = {}
    for script in tree.xpath('//script[contains(@type, "ld+json")]')[:20]:
        try:
            data = json.loads(script.text or "")
        except ValueError:
            continue
        for item in _ld_items(data):
            kind = item.get("@type")
            kinds = kind if isinstance(kind, list) else [kind]
            if any(str(k).lower() in _ARTICLE_TYPES for k in kinds) and (
                    not best or str(kinds[0]).lower() != "webpage"):
                best = item
    return best


def _ld_items(data: Any, depth: int = 0) -> list[dict[str, Any]]:
    if depth > 3:
        return []
    if isinstance(data, list):
        return [i for d in data[:50] for i in _ld_items(d, depth + 1)]
    if isinstance(data, dict):
        return [data, *_ld_items(data.get("@graph", []), depth + 1)]
    return []


def _ld_text(value: Any) -> str:
    """A JSON-LD value as text: names of people or things, URLs of images."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return ", ".join(t for t in (_ld_text(v) for v in value[:10]) if t)
    if isinstance(value, dict):
        return _ld_text(value.get("name") or value.get("url") or "")
    return ""


def _metas(tree: Any) -> dict[str, str]:
    """Meta tags by lower-cased property/name/itemprop (first one wins)."""
    found: dict[str, str] = {}
    for meta in tree.iter("meta"):
        content = meta.get("content") or meta.get("value")
        if not content:
            continue
        for key in ("property", "name", "itemprop", "http-equiv"):
            name = (meta.get(key) or "").strip().lower()
            if name and name not in found:
                found[name] = content.strip()
    return found


def parse_date(value: str | None) -> datetime | None:
    """An ISO 8601 or RFC 2822 date as UTC; naive dates are taken as UTC."""
    value = (value or "").strip()
    if not value or len(value) > 64:
        return None
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "T", 1))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            match = re.match(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?)?", value)
            if match:
                try:
                    parsed = datetime.fromisoformat(match.group(0))
                except ValueError:
                    parsed = None
    if parsed is None or not 1990 <= parsed.year <= 2200:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _language(tree: Any, metas: dict[str, str], ld: dict[str, Any]) -> str | None:
    candidates = [tree.get("lang"), tree.get("{http://www.w3.org/XML/1998/namespace}lang"),
                  tree.get("xml:lang"), _ld_text(ld.get("inLanguage")),
                  metas.get("content-language"), metas.get("dc.language"),
                  metas.get("inlanguage"), metas.get("og:locale"), metas.get("language")]
    for value in candidates:
        match = re.match(r"\s*([a-zA-Z]{2,3})(?:$|[-_,;\s])", value or "")
        if match:
            return match.group(1).lower()
    return None


_BYLINE_PREFIX = re.compile(r"^\s*(by|par|por|von|di|door|av|från)\b[:\s]*", re.IGNORECASE)
_BYLINE_XPATH = ('//*[@itemprop="author"] | //a[@rel="author"]'
                 ' | //*[contains(@class, "byline") or contains(@class, "author")]')
_AUTHOR_CLASS = re.compile(r"(^|\s)(byline|author|auteur|autor)(\s|$)", re.IGNORECASE)


def _byline(tree: Any, metas: dict[str, str], ld: dict[str, Any]) -> str | None:
    candidates = [_ld_text(ld.get("author")), metas.get("author"),
                  metas.get("article:author"), metas.get("dc.creator"),
                  metas.get("sailthru.author"), metas.get("parsely-author")]
    for node in tree.xpath(_BYLINE_XPATH)[:20]:
        if node.get("itemprop") == "author" or node.get("rel") == "author" or \
                _AUTHOR_CLASS.search(node.get("class") or ""):
            names = node.xpath('.//*[@itemprop="name"]')
            candidates.append((names[0] if names else node).text_content())
    for value in candidates:
        value = clean(_BYLINE_PREFIX.sub("", value or ""), 300).strip(" ,;|-")
        if value and not value.startswith(("http://", "https://")) and len(value) <= 120 \
                and len(value.split()) <= 12:
            return value
    return None


_TITLE_SUFFIX = re.compile(r"\s+[|\-–—:]\s+[^|\-–—:]{2,40}$")


def _title(tree: Any, metas: dict[str, str], ld: dict[str, Any]) -> str:
    for value in (metas.get("og:title"), _ld_text(ld.get("headline")),
                  metas.get("twitter:title")):
        if value and value.strip():
            return clean(value, 500)
    heading = tree.find(".//h1")
    if heading is not None and clean(heading.text_content(), 500):
        return clean(heading.text_content(), 500)
    title = tree.find(".//title")
    text = clean(title.text_content(), 500) if title is not None else ""
    return _TITLE_SUFFIX.sub("", text) if len(text) > 20 else text


def _meta_image(tree: Any, metas: dict[str, str], ld: dict[str, Any]) -> str:
    for value in (metas.get("og:image"), metas.get("og:image:url"),
                  metas.get("og:image:secure_url"), metas.get("twitter:image"),
                  metas.get("twitter:image:src"), _ld_text(ld.get("image"))):
        if value:
            return value
    for link in tree.xpath('//link[@rel="image_src"]/@href')[:1]:
        return str(link)
    return ""


@dataclass(frozen=True, slots=True)
class _Meta:
    title: str
    byline: str | None
    published: datetime | None
    updated: datetime | None
    language: str | None
    canonical_url: str | None
    image: str | None
    body: str  # JSON-LD articleBody, when the page gives one


def read_metadata(tree: Any, url: str) -> _Meta:
    """Title, byline, dates, language, canonical URL and lead image of a parsed page."""
    ld = _json_ld(tree)
    metas = _metas(tree)
    published = parse_date(_ld_text(ld.get("datePublished")))
    for key in ("article:published_time", "datepublished", "og:published_time",
                "pubdate", "publishdate", "dc.date.issued", "dc.date", "date"):
        published = published or parse_date(metas.get(key))
    if published is None:
        for value in tree.xpath("//time/@datetime")[:3]:
            published = published or parse_date(str(value))
    updated = parse_date(_ld_text(ld.get("dateModified")))
    for key in ("article:modified_time", "datemodified", "og:updated_time"):
        updated = updated or parse_date(metas.get(key))
    canonical = ""
    for href in tree.xpath('//link[@rel="canonical"]/@href')[:1]:
        canonical = canonical_url(str(href), url)
    canonical = canonical or canonical_url(metas.get("og:url", ""), url) or \
        canonical_url(url)
    image = canonical_url(_meta_image(tree, metas, ld), url or canonical)
    body = ld.get("articleBody")
    return _Meta(title=_title(tree, metas, ld), byline=_byline(tree, metas, ld),
                 published=published, updated=updated,
                 language=_language(tree, metas, ld), canonical_url=canonical or None,
                 image=image or None, body=body if isinstance(body, str) else "")


# --- clutter --------------------------------------------------------------------------

# class/id words of page furniture (matched against the whole attribute, word-ish)
_CLUTTER = re.compile(
    r"(^|[\s_-])(share|sharing|social|socialite|sharethis|related|recommend\w*|comments?|"
    r"disqus|livefyre|respond|reply|newsletter|subscribe|signup|captcha|shortlink|"
    r"follow|follow-us|tags?|breadcrumbs?|promo|advert\w*|ads?|ad-slot|ad-container|"
    r"sidebar|widget|outbrain|taboola|zergnet|popular|most-read|trending|nav|menu|"
    r"footer|cookie|paywall|login|modal|toolbar|print|author-bio|prev-next|"
    r"more-stories|read-more-link|see-more|around-the-web)([\s_-]|$)", re.IGNORECASE)
_DROP_TAGS = ("script", "style", "noscript", "template", "svg", "iframe", "form", "nav",
              "aside", "footer", "button", "input", "select", "textarea", "object",
              "embed", "canvas", "video", "audio", "map")
# whole paragraphs that are furniture, whatever the markup around them
_CLUTTER_LINE = re.compile(
    r"^(\W*(follow us|suivez[- ]nous|síguenos|folge uns)\b.{0,80}"
    r"|\W*(short ?link|permalink|lien court)\s*:.*"
    r"|\W*(leave a (comment|reply)|post (a )?comment|add a comment|comments? \(\d+"
    r"|\d+ comments?|reader comments)\b.{0,40}"
    r"|.{0,40}\b(share (this|on)|tweet this|email this|print this)\b.{0,40}"
    r"|\W*(related (stories|articles|posts)|read (more|also)|see also|lire aussi|"
    r"more from|recommended|most (read|popular)|sponsored)\W*.{0,60}"
    r"|\W*(sign up|subscribe) (for|to) (our|the)\b.{0,100}"
    r"|.{0,30}\b(one|two|three|four|five|six|seven|eight|nine|ten|\d+)\s*[×x*+−-]\s*"
    r"(one|two|three|four|five|six|seven|eight|nine|ten|\d+)\s*=\s*\??"
    r"|\W*(advertisement|publicité|anuncio|werbung)\W*)$", re.IGNORECASE)


def is_clutter_line(line: str) -> bool:
    """A short paragraph that is page furniture: share/follow/comment/captcha prompts."""
    line = line.strip()
    return not line or (len(line) <= 200 and bool(_CLUTTER_LINE.match(line)))


def _is_clutter_element(element: Any) -> bool:
    attrs = f"{element.get('class') or ''} {element.get('id') or ''}"
    return bool(attrs.strip()) and bool(_CLUTTER.search(attrs))


# the same furniture for trafilatura, as XPath (it prunes these before extracting)
_PRUNE = [
    '//*[contains(@class, "share") or contains(@id, "share")]',
    '//*[contains(@class, "social") or contains(@class, "follow")]',
    '//*[contains(@class, "related") or contains(@id, "related")]',
    '//*[contains(@class, "shortlink") or contains(@class, "captcha")]',
    '//*[contains(@class, "newsletter") or contains(@class, "subscribe")]',
    '//*[contains(@id, "comments") or contains(@id, "respond")]',
]


# --- the heuristic extractor ------------------------------------------------------------

_BLOCKS = {"p", "div", "section", "article", "main", "h1", "h2", "h3", "h4", "h5", "h6",
           "li", "ul", "ol", "dl", "dt", "dd", "blockquote", "pre", "figure", "figcaption",
           "table", "tr", "header", "br", "hr", "center"}


def _paragraphs(root: Any, limit: int = MAX_TEXT) -> list[str]:
    """Visible text of an element, one string per block, whitespace collapsed; stops once
    `limit` characters or MAX_PARAGRAPHS paragraphs are collected."""
    out: list[str] = []
    buf: list[str] = []
    total = 0

    def flush() -> None:
        nonlocal total
        text = " ".join("".join(buf).split())
        buf.clear()
        if text:
            out.append(text)
            total += len(text)

    def open_(node: Any) -> None:
        tag = node.tag if isinstance(node.tag, str) else ""
        if tag in _BLOCKS:
            flush()
        elif tag in ("td", "th"):
            buf.append(" ")
        if node.text and tag:
            buf.append(node.text)

    def close(node: Any) -> None:
        tag = node.tag if isinstance(node.tag, str) else ""
        if tag in _BLOCKS:
            flush()
        elif tag in ("td", "th"):
            buf.append(" ")
        if node.tail and node is not root:
            buf.append(node.tail)

    # an explicit stack of child iterators: no recursion limit to exhaust, and nothing is
    # visited past the limits however wide or deep the page
    open_(root)
    stack: list[tuple[Any, Any]] = [(root, iter(root))]
    while stack and total < limit and len(out) < MAX_PARAGRAPHS:
        node, children = stack[-1]
        child = next(children, None)
        if child is None:
            close(node)
            stack.pop()
        else:
            open_(child)
            stack.append((child, iter(child)))
    flush()
    return out


def _link_density(element: Any, text_length: int) -> float:
    links = sum(len(a.text_content()) for a in element.iter("a"))
    return links / max(1, text_length)


def _clean_tree(root: Any, budget: int = 20_000) -> None:
    """Drop furniture in place: invisible tags, clutter classes, link lists. Looks at no
    more than `budget` elements (a real article body has a few hundred)."""
    doomed = []
    for count, element in enumerate(root.iter()):
        if count >= budget:
            break
        if not isinstance(element.tag, str) or element.tag in _DROP_TAGS or (
                element is not root and _is_clutter_element(element)):
            doomed.append(element)
    for element in doomed:
        if element.getparent() is not None:
            element.drop_tree()
    for count, element in enumerate(root.iter("ul", "ol", "div", "section", "table")):
        if count >= budget // 10:
            break
        if element is root or element.getparent() is None:
            continue
        text = " ".join(element.text_content().split())
        if text and len(text) < 600 and _link_density(element, len(text)) > 0.6:
            element.drop_tree()


def marked_body(tree: Any) -> Any:
    """The element the publisher marked as the article body (itemprop=articleBody), if any
    holds at least a few sentences."""
    nodes = tree.xpath('//*[@itemprop="articleBody" or @itemprop="articlebody"]')
    best = max(nodes, key=lambda n: len(n.text_content()), default=None)
    return best if best is not None and len(best.text_content().strip()) >= 200 else None


def _candidate(tree: Any, marked: Any = None) -> Any:
    """The element most likely to hold the article: articleBody, <article>, or densest."""
    if marked is not None:
        return marked
    scores: dict[Any, float] = {}
    for count, paragraph in enumerate(tree.iter("p", "pre", "blockquote")):
        if count >= 5_000:  # enough to find the article; a hostile page has millions
            break
        text = paragraph.text_content()
        length = len(" ".join(text.split()))
        if length < 25:
            continue
        score = 1 + min(length, 600) / 100 + min(text.count(","), 10)
        parent = paragraph.getparent()
        if parent is None:
            continue
        scores[parent] = scores.get(parent, 0) + score
        grand = parent.getparent()
        if grand is not None:
            scores[grand] = scores.get(grand, 0) + score / 2
    if not scores:
        return tree.find("body") if tree.find("body") is not None else tree
    best = max(scores, key=lambda n: scores[n])
    for ancestor in (best, *best.iterancestors("article")):  # prefer the enclosing <article>
        if ancestor.tag == "article" and len(ancestor.text_content()) > 500:
            return ancestor
    return best


def heuristic_text(tree: Any, json_body: str = "", marked: Any = ...) -> str:
    """Main text by our own rules: the body the publisher marked (itemprop=articleBody, or
    JSON-LD articleBody), else <article> / the densest block, cleaned of furniture."""
    if marked is ...:
        marked = marked_body(tree)
    if len(json_body.strip()) >= 200 and marked is None:
        lines = [clean(line, MAX_TEXT) for line in json_body.splitlines()]
        return "\n\n".join(line for line in lines if line and not is_clutter_line(line))
    root = _candidate(tree, marked)
    _clean_tree(root)
    for element in list(root.iter("header", "h1")):  # headline and byline: kept apart
        if element is not root and element.getparent() is not None:
            element.drop_tree()
    kept = [p for p in _paragraphs(root) if not is_clutter_line(p)]
    return "\n\n".join(clean(p, MAX_TEXT) for p in kept)


# --- trafilatura ------------------------------------------------------------------------

def tree_size(tree: Any) -> int:
    count = 0
    for _ in tree.iter():
        count += 1
        if count > MAX_TREE:
            break
    return count


def trafilatura_text(tree: Any, url: str, *, prune: bool = True) -> str:
    """Main text by trafilatura (default options, no comments, tables kept)."""
    import trafilatura  # imported on first use: it loads language data at import

    text = trafilatura.extract(tree, url=url or None, include_comments=False,
                               include_tables=True, deduplicate=False,
                               prune_xpath=_PRUNE if prune else None) or ""
    return text


def tidy_text(text: str) -> str:
    """trafilatura's lines as our paragraphs, with furniture lines dropped."""
    lines = [clean(line.lstrip("-•* ").strip() if line.lstrip().startswith(("- ", "• "))
                   else line, MAX_TEXT) for line in text.splitlines()]
    return "\n\n".join(line for line in lines if line and not is_clutter_line(line))


def _fits_trafilatura(tree: Any) -> bool:
    if tree_size(tree) > MAX_TREE:
        return False
    longest = max((len(t) for t in tree.itertext()), default=0)
    return longest <= MAX_TRAFILATURA_TEXT


# --- entry points -----------------------------------------------------------------------

@own_thread  # libxml2's name dictionary lives as long as the parsing thread: see own_thread
def extract_article(page: str | bytes, url: str) -> Article:
    """Main text and metadata of an article page. Never raises on bad HTML."""
    decoded = decode_page(page)
    tree = parse_html(decoded)
    if tree is None:
        return Article(title="", text="", canonical_url=canonical_url(url) or None)
    meta = read_metadata(tree, url)
    marked = marked_body(tree)
    text = ""
    if marked is None and len(meta.body.strip()) < 500 and _fits_trafilatura(tree):
        try:
            text = tidy_text(trafilatura_text(tree, url))
        except Exception:  # noqa: BLE001 - a library bug must not lose the article
            text = ""
        if not text:
            tree = parse_html(decoded)  # trafilatura consumed the tree
            marked = ...
    if not text and tree is not None:
        # the publisher marked the body (itemprop=articleBody or JSON-LD articleBody), or
        # the page is too big for trafilatura, or trafilatura found nothing
        text = heuristic_text(tree, meta.body, marked)
    return Article(title=meta.title, text=text[:MAX_TEXT], byline=meta.byline,
                   published=meta.published, updated=meta.updated, language=meta.language,
                   canonical_url=meta.canonical_url, image=meta.image)


def extract_html(page: str) -> Document:
    """Title and main text of an HTML article page."""
    article = extract_article(page, "")
    return Document(title=article.title, text=article.text)


def extract_text(text: str) -> Document:
    """A plain-text article: the first non-empty line is its title, the rest its text."""
    lines = text.strip().splitlines()
    if not lines:
        return Document("", "")
    body = "\n".join(line.strip() for line in lines[1:]).strip()
    return Document(title=clean(lines[0], 500), text=body[:MAX_TEXT])


def looks_like_html(content: str) -> bool:
    head = content.lstrip()[:1000].lower()
    return head.startswith(("<!doctype html", "<html")) or "<body" in head or "<p>" in head
