"""Social posts embedded in an article (a tweet, an Instagram post), kept in its text.

News stories quote posts: a club's statement, a minister's tweet, a group claiming an
attack. Publishers embed them as <blockquote class="twitter-tweet"> (or instagram-media,
tiktok-embed, ...) whose text is the post, and the article-extraction benchmark's readers
count them as the article's. trafilatura with favor_precision drops them; our heuristic
keeps them. So the posts inside the body the heuristic reads are gathered with the text
just before each, and a post the chosen text lacks is put back after the paragraph that
precedes it on the page (at the end when that paragraph is not in the text either).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from monitor.extract.body import block_text
from monitor.extract.clutter import tokens, words

POST_TOKENS = words("twitter-tweet twitter-video instagram-media tiktok-embed "
                    "bluesky-embed threads-post reddit-embed-bq")
MAX_POSTS = 50  # posts kept per article (a live blog may embed hundreds)
_CONTEXT = 300  # characters of the preceding text kept to place a post


@dataclass(frozen=True, slots=True)
class Post:
    """One embedded post: its text, and the text of the block before it on the page."""

    text: str  # paragraphs separated by "\n\n"
    before: str  # "" when nothing precedes it in the body


def embedded_posts(roots: list[Any]) -> tuple[Post, ...]:
    """The posts embedded in the body's elements, in page order."""
    posts: list[Post] = []
    for root in roots:
        for quote in root.iter("blockquote"):
            if len(posts) >= MAX_POSTS:
                return tuple(posts)
            if POST_TOKENS.isdisjoint(tokens(quote)):
                continue
            text = "\n\n".join(p for p in block_text(quote) if p)
            if text:
                posts.append(Post(text, _before(quote, root)))
    return tuple(posts)


def _before(element: Any, root: Any) -> str:
    """The text of the nearest block before `element` inside `root` (its end)."""
    node = element
    while node is not None and node is not root:
        for sibling in node.itersiblings(preceding=True):
            text = " ".join(sibling.text_content().split())
            if len(text) >= 20:
                return text[-_CONTEXT:]
        node = node.getparent()
    return ""
