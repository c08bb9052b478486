"""An article's main text: our reading of the body the publisher marked, or trafilatura's
after our clutter is pruned, then a pass that drops the furniture lines it lets through."""

from __future__ import annotations

import re
from typing import Any

from monitor.text import clean

MAX_TEXT = 200_000  # characters of article text we keep
MAX_PARAGRAPHS = 5_000  # paragraphs of article text we keep (real articles: < 300)
# trafilatura walks the tree several times; past this many elements it takes seconds, so
# larger pages go to the heuristic extractor (the article pages in tests/data/pages: < 1,000)
MAX_TREE = 10_000
# ... and one text node of megabytes costs it a second; real articles are far below this
MAX_TRAFILATURA_TEXT = 1_000_000


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


def fits_trafilatura(tree: Any) -> bool:
    if tree_size(tree) > MAX_TREE:
        return False
    longest = max((len(t) for t in tree.itertext()), default=0)
    return longest <= MAX_TRAFILATURA_TEXT
