"""The two readings of a page's main text that compete for it (monitor.extract.choice):
our heuristic (the blocks the publisher marked, else the densest block) and trafilatura's;
and the pass that drops the furniture lines either lets through."""

from __future__ import annotations

import re
from typing import Any

from monitor.extract.clutter import words
from monitor.text import clean

MAX_TEXT = 200_000  # characters of article text we keep
MAX_PARAGRAPHS = 5_000  # paragraphs of article text we keep (real articles: < 300)
# trafilatura walks the tree several times; past this many elements it takes seconds, so
# larger pages go to the heuristic extractor (the article pages in tests/data/pages: < 1,000)
MAX_TREE = 10_000
# ... and one text node of megabytes costs it a second; real articles are far below this
MAX_TRAFILATURA_TEXT = 1_000_000


# --- furniture lines ----------------------------------------------------------------------

# whole paragraphs that are furniture, whatever the markup around them
_CLUTTER_LINE = re.compile(
    r"^(\W*(follow us|suivez[- ]nous|síguenos|folge uns)\b.{0,80}"
    r"|\W*follow\b.{0,80}\bon (twitter|facebook|instagram)\b.{0,80}"
    r"|\W*(short ?link|permalink|lien court)\s*:.*"
    r"|\W*(leave a (comment|reply)|post (a )?comment|add a comment|comments? \(\d+"
    r"|\d+ comments?|reader comments)\b.{0,40}"
    r"|\W*(comments?|more|also|related|don'?t miss|you may also like|tell us what you think"
    r"|text size)\W*"
    r"|\W*(reading time|tempo de leitura|temps de lecture|lesezeit|tiempo de lectura)\W.{0,30}"
    r"|\W*\d+[ -]min(ute)?s?( read| de lecture| de leitura)\W*"
    r"|.{0,40}\b(share (this|on)|tweet this|email this|print this)\b.{0,40}"
    r"|\W*(related (stor(y|ies)|articles?|posts?)|read (more|also)|see (also|more)|lire aussi|"
    r"more from|recommended|most (read|popular)|sponsored|also on)\W*.{0,60}"
    r"|\W*(sign up|subscribe) (for|to) (our|the)\b.{0,100}"
    r"|.{0,100}\b(sign up|subscribe)\b.{0,60}\bnewsletters?\b.{0,100}"
    r"|\W*like this (story|article)\??.{0,60}"
    r"|\W*(additional )?(reporting|writing|editing) by(?-i:(\s+([A-Z][\w.'’-]*|additional"
    r"|reporting|editing|writing|by|and|in|from)|[,;])+)\W*"
    r"|.{0,200}\bcontributed to this (report|story)\W*"
    r"|.{0,30}\b(one|two|three|four|five|six|seven|eight|nine|ten|\d+)\s*[×x*+−-]\s*"
    r"(one|two|three|four|five|six|seven|eight|nine|ten|\d+)\s*=\s*\??"
    r"|\W*(advertisement|publicité|anuncio|werbung)\W*)$", re.IGNORECASE)


def is_clutter_line(line: str) -> bool:
    """A short paragraph that is page furniture: share/follow/comment/captcha prompts."""
    line = line.strip()
    return not line or (len(line) <= 200 and bool(_CLUTTER_LINE.match(line)))


# --- the heuristic extractor ------------------------------------------------------------

_BLOCKS = {"p", "div", "section", "article", "main", "h1", "h2", "h3", "h4", "h5", "h6",
           "li", "ul", "ol", "dl", "dt", "dd", "blockquote", "pre", "figure", "figcaption",
           "table", "tr", "header", "br", "hr", "center"}
# class tokens publishers give the element holding the article's text
_BODY_TOKENS = words("""
articlebody article-body article__body article-body-text articlebodytext article-text
article-content article__content story-body story-body-text story-text story-content
storycontent entry-content post-content post-body c-entry-content body-text
""")


def _paragraphs(root: Any, skip: set[Any], limit: int = MAX_TEXT) -> list[str]:
    """Visible text of an element, one string per block, whitespace collapsed; subtrees in
    `skip` are passed over (their tails kept); stops once `limit` characters or
    MAX_PARAGRAPHS paragraphs are collected."""
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
        elif child in skip or not isinstance(child.tag, str):
            if child.tail:
                buf.append(child.tail)
        else:
            open_(child)
            stack.append((child, iter(child)))
    flush()
    return out


def _link_density(element: Any, text_length: int) -> float:
    links = sum(len(a.text_content()) for a in element.iter("a"))
    return links / max(1, text_length)


def _skipped(root: Any, budget: int = 2_000) -> set[Any]:
    """Subtrees the heuristic does not read: link lists, the headline and byline (kept
    apart as the title), figures and their captions (photo credits, gallery counters).
    Looks at no more than `budget` blocks."""
    skip: set[Any] = set()
    for count, element in enumerate(root.iter("ul", "ol", "div", "section", "table",
                                              "header", "h1", "figure", "figcaption")):
        if count >= budget:
            break
        if element is root:
            continue
        if element.tag in ("header", "h1", "figure", "figcaption"):
            skip.add(element)
            continue
        text = " ".join(element.text_content().split())
        if text and len(text) < 600 and _link_density(element, len(text)) > 0.6:
            skip.add(element)
    return skip


def _with_siblings(best: Any, marked: list[Any]) -> list[Any]:
    """The best marked element and the other marked ones of its tag and class that are not
    inside it or each other, in page order: a body split in blocks (two div.article__body,
    or two itemprop=articleBody) is read whole."""
    same = [e for e in marked if e.tag == best.tag and e.get("class") == best.get("class")]
    out: list[Any] = []
    for element in same:
        if not any(o in element.iterancestors() for o in out):
            out.append(element)
    return out if best in out else [best]


def marked_body(tree: Any) -> list[Any]:
    """The elements the publisher marked as the article body (itemprop=articleBody, or a
    body class such as article__body), in page order, if they hold a few sentences."""
    nodes = tree.xpath('//*[@itemprop="articleBody" or @itemprop="articlebody"]')[:20]
    if not nodes:
        nodes = [e for e in tree.xpath("//*[@class]")[:20_000]
                 if not _BODY_TOKENS.isdisjoint(e.get("class", "").casefold().split())][:20]
    if not nodes:
        return []
    best = max(nodes, key=lambda n: len(n.text_content()))
    if len(best.text_content().strip()) < 200:
        return []
    return _with_siblings(best, nodes)


def _candidate(tree: Any) -> Any:
    """The element most likely to hold the article: <article>, or the densest block."""
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


def body_roots(tree: Any, marked: list[Any] | None = None) -> list[Any]:
    """The elements the heuristic reads: the blocks the publisher marked, else <article> /
    the densest block."""
    return marked if marked else [_candidate(tree)]


def heuristic_blocks(roots: list[Any]) -> list[str]:
    """Main text by our own rules, one string per root (body_roots), without link lists,
    headline, figures and furniture lines. Reads the tree without changing it (clutter is
    pruned beforehand: monitor.extract.clutter)."""
    out = []
    for root in roots:
        kept = [p for p in _paragraphs(root, _skipped(root)) if not is_clutter_line(p)]
        out.append("\n\n".join(clean(p, MAX_TEXT) for p in kept))
    return out


def heuristic_text(tree: Any, marked: list[Any] | None = None) -> str:
    """The heuristic's text of a (pruned) tree as one string."""
    return "\n\n".join(b for b in heuristic_blocks(body_roots(tree, marked)) if b)


def block_text(element: Any) -> list[str]:
    """An element's visible text, one string per block (nothing skipped)."""
    return [clean(p, MAX_TEXT) for p in _paragraphs(element, set())]


# --- trafilatura ------------------------------------------------------------------------

def tree_size(tree: Any) -> int:
    count = 0
    for _ in tree.iter():
        count += 1
        if count > MAX_TREE:
            break
    return count


def trafilatura_text(tree: Any, url: str, *, precision: bool = True,
                     recall: bool = False) -> str:
    """Main text by trafilatura (no comments, tables kept), favouring precision or
    recall. trafilatura works on its own copy of the tree."""
    import trafilatura  # imported on first use: it loads language data at import

    return trafilatura.extract(tree, url=url or None, include_comments=False,
                               include_tables=True, deduplicate=False,
                               favor_precision=precision, favor_recall=recall) or ""


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
