"""Markup to text: what is kept, what is dropped, the bounds, hostile markup that stalled or
broke the old parser, and the thread that takes libxml2's name dictionary with it."""

from __future__ import annotations

import ctypes
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.text import MAX_MARKUP, clean, html_to_text, markup_cut, own_thread
from tests.bounded import finishes, peak_rss_mb

_CONTROLS = {chr(c) for c in (*range(0x00, 0x20), *range(0x7f, 0xa0))}
MARKUP = st.lists(st.sampled_from(
    ["<p>", "</p>", "<b>", "</b>", "<script>", "</script>", "<style>", "<a ", "<a href='x'>",
     "</a>", "<![", "<![ 1 ]]>", "<!--", "-->", "<!DOCTYPE", "&amp;", "&#x1b;", "&#0;",
     "&bogus;", "<br/>", "<div", ">", "'", '"', "\x00", "\u202e", "\ud800", "word", " ",
     "<head>", "<title>", "<template>", "<svg><title>", "<?php ?>", "\n"]), max_size=40
).map("".join)


@pytest.mark.parametrize(("markup", "text"), [
    ("<p>One</p><p>Two</p>", "One Two"),
    ("Air<b>strike</b>s", "Airstrikes"),  # inline elements join words
    ("<li>a</li><li>b</li><td>c</td>", "a b c"),
    ("<noscript>n</noscript><template>t</template><iframe>i</iframe>Shown", "Shown"),
    ("<style>p { color: red }</style><script>if (a < b) x()</script>Seen", "Seen"),
    ("<p>Tom &amp; Jerry&nbsp;&mdash; &#x1F600; &lt;tag&gt;</p>", "Tom & Jerry — 😀 <tag>"),
    ("Line\x1b[31m red\u202e<br>next", "Line [31m red next"),
    ("plain &amp; text, no tags", "plain & text, no tags"),
    ("<!-- a comment --> visible", "visible"),
    ("a<br>b<br/>c", "a b c"),
    ("<script>alert(1)</script>Seen<style>p{}</style>", "Seen"),
    ("AT&amp;T &lt;b&gt; &#x627;", "AT&T <b> ا"),
    ("<p>unclosed <i>tags", "unclosed tags"),
])
def test_visible_text_is_kept_and_the_rest_dropped(markup, text):
    assert html_to_text(markup, 1000) == text


@pytest.mark.parametrize(("markup", "text"), [
    ("<a " * 14_000 + "</a> after", "after"),  # one tag, closed by the ">" of "</a>"
    ("<div>" * 100_000 + "deep text", "deep text"),
    ("<![ 1 ]]> " * 20_000 + "tail", "tail"),  # html.parser: AssertionError
    ("<" * 200_000 + " x", "<" * 200_000 + " x"),
])
def test_hostile_markup_gives_its_text_without_a_stall(markup, text):
    assert finishes(lambda: html_to_text(markup, 1_000_000)) == text[:1_000_000]


def test_a_five_megabyte_page_of_tiny_tags_reads_only_the_bounded_prefix():
    markup = "<b>x</b><i>y" * (5 * 2**20 // 12)
    text = finishes(lambda: html_to_text(markup, 10 * MAX_MARKUP))
    assert set(text) == {"x", "y"}
    assert abs(len(text) - MAX_MARKUP // 6) <= 2  # "xy" per 12 characters read
    assert markup_cut(markup, text, 10 * MAX_MARKUP)


def test_parsing_stops_once_the_limit_is_in_hand():
    markup = "<p>" + "word " * 400_000 + "</p>"  # 2 MB
    assert html_to_text(markup, 500) == ("word " * 100).strip()
    assert not markup_cut(markup, html_to_text(markup, 500), 500)


def test_text_past_the_markup_bound_is_not_read():
    markup = "<p>early</p>" + "<i></i>" * (MAX_MARKUP // 7) + "<p>late</p>"
    assert html_to_text(markup, 1000) == "early"
    assert markup_cut(markup, "early", 1000)


def test_each_fragment_starts_afresh_whatever_the_one_before_left_open():
    assert html_to_text("<p>open <script>hidden", 100) == "open"
    assert html_to_text("<p>" + "word " * 100_000, 10) == "word word"  # stopped early
    assert html_to_text("<b>seen</b> again", 100) == "seen again"


def test_clean_removes_controls_bidi_overrides_and_lone_surrogates():
    assert clean("a\x00b\x85c\u202ed\ud800e\n\tf", 100) == "a b c d e f"
    assert clean("x" * 50, 10) == "x" * 10


@settings(max_examples=400, deadline=None)
@given(MARKUP | st.text(max_size=200), st.integers(min_value=0, max_value=300))
def test_html_to_text_never_raises_and_gives_one_clean_line(markup, limit):
    text = html_to_text(markup, limit)
    assert len(text) <= limit
    assert not _CONTROLS & set(text)
    assert "\u202e" not in text and not any("\ud800" <= c <= "\udfff" for c in text)
    assert text == text.strip() and "  " not in text


def test_own_thread_runs_elsewhere_and_hands_back_results_and_errors():
    caller = threading.get_ident()

    @own_thread
    def where(fail: bool) -> int:
        if fail:
            raise ValueError("from the worker")
        return threading.get_ident()

    assert where(False) != caller
    with pytest.raises(ValueError, match="from the worker"):
        where(True)


def test_unique_tag_names_do_not_grow_a_long_lived_worker():
    """libxml2 keeps every name it has seen for the life of the parsing thread: in one
    long-lived worker, 3 million unique tag names held 144 MB (malloc's own count, free
    memory it caches left out) unless each document is parsed in a thread of its own."""
    libc = ctypes.CDLL(None)
    if not hasattr(libc, "mallinfo2"):
        pytest.skip("needs glibc's mallinfo2 to count memory in use")
    code = """
import concurrent.futures, ctypes, gc
from monitor.text import html_to_text, own_thread
class Info(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks",
                "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]
mallinfo2 = ctypes.CDLL(None).mallinfo2
mallinfo2.restype = Info
def in_use():
    gc.collect()
    info = mallinfo2()
    return (info.uordblks + info.hblkhd) / 2**20
def document(n):
    return "".join(f"<t{n}_{i}>" for i in range(100_000))
parse = own_thread(html_to_text)
with concurrent.futures.ThreadPoolExecutor(1) as worker:
    worker.submit(parse, document(0), 10**6).result()
    start = in_use()
    for n in range(1, 31):
        worker.submit(parse, document(n), 10**6).result()
    print(in_use() - start)
"""
    _, growth = peak_rss_mb(code)
    assert float(growth) < 10, f"{float(growth):.0f} MB more in use"
