"""The readings of a page's main text that compete for it, gathered from one parsed tree.

- trafilatura with favor_precision (its best mode on news pages: bench/extract.py), on the
  tree after our clutter is pruned;
- our heuristic: the blocks the publisher marked as the body (itemprop=articleBody, or a
  body class, merged with their same-class siblings), else the densest block;
- the JSON-LD articleBody, decoded and tag-stripped;
- the social posts embedded in the body the heuristic reads (monitor.extract.posts);
- and the page's visible text, against which a candidate's length and presence are judged.

Which one becomes the article's text is monitor.extract.choice's decision. The tree is
pruned once (monitor.extract.clutter, never touching the marked body or its ancestors);
trafilatura works on its own copy and the heuristic only reads, so one parse serves all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from monitor.extract.body import (
    body_roots,
    fits_trafilatura,
    heuristic_blocks,
    marked_body,
    tidy_text,
    trafilatura_text,
)
from monitor.extract.clutter import prune
from monitor.extract.jsonld import decode_body
from monitor.extract.posts import Post, embedded_posts

MAX_VISIBLE = 400_000  # characters of the page's visible text kept as evidence


@dataclass(frozen=True, slots=True)
class Candidates:
    """Every reading of one page's main text, and what the page shows."""

    trafilatura: str  # "" when the tree is too large for it, or it found nothing
    heuristic: str
    marked: bool  # the heuristic read blocks the publisher marked as the body
    blocks: tuple[str, ...]  # the heuristic's text block by block (a split body: several)
    json_ld: str  # the decoded JSON-LD articleBody, "" when none
    visible: str  # the visible text of the page's <body>, clutter pruned
    headlines: tuple[str, ...] = ()  # the page's title and first <h1>: not article text
    posts: tuple[Post, ...] = ()  # social posts embedded in the body the heuristic reads
    byline: str = ""  # the page's author line: a short first paragraph holding it is not text


def gather(tree: Any, json_body: str, url: str, title: str = "",
           byline: str | None = None) -> Candidates:
    """All candidates for the main text of a parsed page whose title (og:title, headline)
    is `title` and whose author line is `byline`. Never raises on bad HTML."""
    heading = tree.find(".//h1")
    headlines = (title, heading.text_content() if heading is not None else "")
    marked = marked_body(tree)
    prune(tree, keep=marked)
    traf = ""
    if fits_trafilatura(tree):
        try:
            traf = tidy_text(trafilatura_text(tree, url))
        except Exception:  # noqa: BLE001 - a library bug must not lose the article
            traf = ""
    body = tree.find("body")
    # text nodes joined by spaces: adjacent blocks' words must not run together
    visible = " ".join(" ".join((body if body is not None else tree).itertext())
                       [:MAX_VISIBLE].split())
    roots = body_roots(tree, marked)
    blocks = tuple(b for b in heuristic_blocks(roots) if b)
    return Candidates(trafilatura=traf, heuristic="\n\n".join(blocks),
                      marked=bool(marked), blocks=blocks,
                      json_ld=decode_body(json_body) if json_body.strip() else "",
                      visible=visible, headlines=tuple(h for h in headlines if h.strip()),
                      posts=embedded_posts(roots), byline=byline or "")
