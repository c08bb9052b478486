"""What an article page says about itself: title, byline, dates, language, canonical URL
and lead image, from JSON-LD, OpenGraph, meta tags and <time>."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from monitor.text import clean
from monitor.urls import canonical_url

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
