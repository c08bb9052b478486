"""Page furniture: which elements are clutter, and pruning them without losing the body.

A class or id is a list of whole tokens. A rule names a token (`share`, `related-posts`);
it matches an element whose class or id holds that exact token, never a token that merely
contains it: `contains(@class, "subscribe")` used to match `<body class="subType-
unsubscribed">` and delete whole articles, and `f_share_tools_on` on a <body> did the same.
Tokens are compared case-folded.

Pruning never removes the element that holds the article (the chosen or marked body), nor
any of its ancestors, nor <html>/<body>/<main>/<article>: a class on a wrapper describes the
page's state ("paywall", "subscriber"), not furniture to drop.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def words(text: str) -> frozenset[str]:
    """The whitespace-separated words of a text, as a set."""
    return frozenset(text.split())


# whole class/id tokens of page furniture
CLUTTER_TOKENS = words("""
share shares sharing share-bar share-buttons share-tools sharebar sharethis social
social-share social-links social-media socialite addthis follow follow-us
related related-posts related-articles related-stories related-content related-links
recommended recommendations recirc comments comment-list disqus livefyre respond reply
newsletter newsletter-signup subscribe subscription-prompt signup captcha shortlink
tags tag-list breadcrumb breadcrumbs promo advert advertisement ads ad ad-slot
ad-container adslot sidebar widget widgets outbrain taboola zergnet popular most-read
most-popular trending nav navbar navigation menu footer site-footer cookie cookies
cookie-banner login modal toolbar print author-bio prev-next more-stories
read-more-link see-more around-the-web skip-link visually-hidden sr-only
""")

MAX_MEASURED = 1_000  # furniture elements whose text prune() measures (a real page: < 100)
_NEVER = frozenset(("html", "body", "main", "article"))
# tags that never carry article text
DROP_TAGS = frozenset(("script", "style", "noscript", "template", "svg", "iframe", "form",
                       "nav", "aside", "footer", "button", "input", "select", "textarea",
                       "object", "embed", "canvas", "video", "audio", "map"))


def tokens(element: Any) -> set[str]:
    """The case-folded class and id tokens of an element."""
    value = f"{element.get('class') or ''} {element.get('id') or ''}"
    return set(value.casefold().split())


def is_clutter(element: Any) -> bool:
    """An element whose class or id holds a furniture token (whole tokens only)."""
    return not CLUTTER_TOKENS.isdisjoint(tokens(element))


def _holds_paragraphs(element: Any) -> bool:
    """A <form> wrapping the whole page (ASP.NET sites do) is not a form to drop."""
    return sum(1 for _ in zip(element.iter("p"), range(3), strict=False)) >= 3


def _protected(keep: Iterable[Any]) -> set[Any]:
    """The kept elements and all their ancestors: none of these may be pruned."""
    safe: set[Any] = set()
    for element in keep:
        if element is None:
            continue
        safe.add(element)
        safe.update(element.iterancestors())
    return safe


def prune(root: Any, keep: Iterable[Any] = (), budget: int = 20_000,
          tags: bool = True) -> int:
    """Remove clutter under `root` in place: furniture classes/ids (and, with `tags`,
    invisible and form tags). Never removed: elements in `keep`, their ancestors,
    html/body/main/article, and a classed element holding half of root's text.

    Bounded for hostile pages: the walk is iterative, does not descend into what it
    removes, visits at most `budget` elements and measures the text of at most
    MAX_MEASURED furniture elements (past that, furniture is left in place: keeping clutter
    costs precision, removing unmeasured blocks could cost the article). Returns how many
    elements were removed."""
    safe = _protected(keep)
    total = len(root.text_content())
    doomed = []
    measured = visited = 0
    stack = [iter(root)]
    while stack and visited < budget:
        element = next(stack[-1], None)
        if element is None:
            stack.pop()
            continue
        visited += 1
        tag = element.tag if isinstance(element.tag, str) else ""
        if element not in safe and tag not in _NEVER:
            if not tag or (tags and tag in DROP_TAGS and not (
                    tag == "form" and _holds_paragraphs(element))):
                doomed.append(element)
                continue
            if measured < MAX_MEASURED and is_clutter(element):
                measured += 1
                # a "furniture" wrapper holding half the page's text is a layout
                if len(element.text_content()) <= total / 2:
                    doomed.append(element)
                    continue
        stack.append(iter(element))
    for element in doomed:
        element.drop_tree()  # keeps the tail text, which belongs to the parent
    return len(doomed)
