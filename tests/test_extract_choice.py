"""The article text is chosen by evidence: JSON-LD teasers and markup, whole-token clutter
rules that never delete the body, split bodies, furniture lines, embedded posts.
(`news-monitor extract`: test_extract_command.py; encodings: test_extract_encodings.py.)"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.extract import (
    Candidates,
    choose,
    extract_article,
    is_clutter_line,
    parse_html,
)
from monitor.extract.clutter import CLUTTER_TOKENS, is_clutter, prune
from monitor.extract.jsonld import decode_body, looks_like_teaser

DATA = Path(__file__).parent / "data"
ARABIC = DATA / "arabic"
SEED = DATA / "pages" / "seed-aleppo.html"
TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*[\s>/]")

PARAGRAPHS = [
    "The army said on Monday it had pushed back an offensive on the western districts of "
    "the city, after a night of shelling that residents described as the heaviest in weeks.",
    "Rebel commanders said they had taken several positions near the artillery college and "
    "that their fighters were holding them, a claim that could not be verified independently.",
    "Aid agencies warned that hundreds of families had fled towards the centre of the city "
    "and that the main road used for supplies had been cut for a third day in a row.",
    "The United Nations envoy called for a pause in the fighting to allow food and medicine "
    "into the besieged neighbourhoods, where doctors say hospitals are running out of fuel.",
]


def page(body: str, *, head: str = "", body_attrs: str = "") -> str:
    return (f"<html lang=\"en\"><head><title>Fighting in the city</title>{head}</head>"
            f"<body {body_attrs}><nav class=\"menu\"><a href=\"/\">Home</a> <a href=\"/w\">"
            f"World</a></nav>{body}<footer>Copyright the paper</footer></body></html>")


def ld_script(article_body: str) -> str:
    data = {"@context": "https://schema.org", "@type": "NewsArticle",
            "headline": "Fighting in the city", "articleBody": article_body}
    # as publishers write it: "</" escaped, so markup in a value cannot end the script
    value = json.dumps(data).replace("</", "<\\/")
    return f'<script type="application/ld+json">{value}</script>'


def paragraphs_html(paragraphs: list[str]) -> str:
    return "".join(f"<p>{p}</p>" for p in paragraphs)


# --- JSON-LD -------------------------------------------------------------------------------

def test_a_json_ld_teaser_ending_in_hellip_loses_to_the_page_body() -> None:
    teaser = PARAGRAPHS[0][:150] + " &hellip;"
    html = page(f"<article>{paragraphs_html(PARAGRAPHS)}</article>", head=ld_script(teaser))
    article = extract_article(html, "https://paper.example/a")
    assert article.path != "json-ld"
    assert all(p in article.text for p in PARAGRAPHS)
    assert "&hellip;" not in article.text and "…" not in article.text


def test_a_teaser_is_recognised_by_its_ending() -> None:
    assert looks_like_teaser("The army said on Monday it had pushed back …")
    assert looks_like_teaser(decode_body("pushed back an offensive&amp;hellip;"))
    assert looks_like_teaser("pushed back an offensive. Read more")
    assert not looks_like_teaser(PARAGRAPHS[0])


def test_json_ld_with_escaped_or_raw_tags_comes_out_tag_free() -> None:
    escaped = "".join(f"&lt;p&gt;{p}&lt;/p&gt;" for p in PARAGRAPHS)
    raw = "".join(f"<p>{p}</p>" for p in PARAGRAPHS) + "<script>track()</script></body>"
    double = "".join(f"&amp;lt;p&amp;gt;{p}&amp;lt;/p&amp;gt;" for p in PARAGRAPHS)
    for value in (escaped, raw, double):
        text = decode_body(value)
        assert not TAG.search(text) and "&lt;" not in text and "track()" not in text
        assert text.split("\n") == PARAGRAPHS
        # the page shows only a teaser (a paywall): the full JSON-LD body is the text
        html = page("<article><p>Subscribe to read the rest.</p></article>",
                    head=ld_script(value))
        article = extract_article(html, "https://paper.example/a")
        assert article.path == "json-ld"
        assert article.text == "\n\n".join(PARAGRAPHS)


def test_json_ld_entities_in_plain_text_are_decoded() -> None:
    assert decode_body("Smith &amp; Wesson said &quot;no&quot;") == 'Smith & Wesson said "no"'
    assert decode_body("a &lt; b, and c &gt; d") == "a < b, and c > d"  # no tags: kept


# --- clutter rules -----------------------------------------------------------------------

def test_a_body_class_naming_unsubscribed_keeps_its_body() -> None:
    html = page(f"<div class=\"content\">{paragraphs_html(PARAGRAPHS)}</div>",
                body_attrs='class="article-page subType-unsubscribed"')
    article = extract_article(html, "https://paper.example/a")
    assert all(p in article.text for p in PARAGRAPHS)


def test_a_furniture_token_on_an_ancestor_of_the_marked_body_never_removes_it() -> None:
    html = page(f"<div class=\"wrap share\" id=\"related\"><div itemprop=\"articleBody\">"
                f"{paragraphs_html(PARAGRAPHS)}</div></div>",
                body_attrs='class="f_share_tools_on share"')
    article = extract_article(html, "https://paper.example/a")
    assert article.path in ("marked-body", "trafilatura")
    assert all(p in article.text for p in PARAGRAPHS)


def test_a_furniture_class_on_an_unmarked_wrapper_of_the_whole_article_keeps_it() -> None:
    html = page(f"<div class=\"content sidebar\"><div class=\"story\">"
                f"{paragraphs_html(PARAGRAPHS)}</div></div>")
    tree = parse_html(html)
    prune(tree)
    assert all(p in tree.text_content() for p in PARAGRAPHS)
    assert "Copyright the paper" not in tree.text_content()  # <footer>: furniture
    article = extract_article(html, "https://paper.example/a")
    assert all(p in article.text for p in PARAGRAPHS)


def test_the_marked_body_is_kept_even_with_a_furniture_class_of_its_own() -> None:
    html = page(f"<div class=\"related\" itemprop=\"articleBody\">"
                f"{paragraphs_html(PARAGRAPHS)}</div><div class=\"related\">"
                f"<p>{'Other story headline and its teaser text. ' * 3}</p></div>")
    article = extract_article(html, "https://paper.example/a")
    assert all(p in article.text for p in PARAGRAPHS)
    assert "Other story" not in article.text


def test_clutter_inside_the_body_is_removed_by_whole_tokens() -> None:
    html = page(f"<article>{paragraphs_html(PARAGRAPHS[:2])}"
                f"<div class=\"share-tools\"><p>Share this story on Facebook and Twitter "
                f"with all your friends today</p></div>"
                f"<div class=\"sharedcontent\"><p>{PARAGRAPHS[2]}</p></div>"
                f"{paragraphs_html(PARAGRAPHS[3:])}</article>")
    tree = parse_html(html)
    prune(tree)
    text = tree.text_content()
    assert "Share this story" not in text
    assert PARAGRAPHS[2] in text  # "sharedcontent" is not the token "share"


TOKEN = st.text(alphabet="abcdehilnorstuw_-", min_size=1, max_size=12)
CLASS_WORDS = st.lists(st.one_of(TOKEN, st.sampled_from(sorted(CLUTTER_TOKENS)),
                                 st.sampled_from(["unsubscribed", "f_share_tools_on",
                                                  "sharedcontent", "SHARE", "Related"])),
                       max_size=5)


@given(classes=CLASS_WORDS, ids=CLASS_WORDS, spaces=st.sampled_from([" ", "  ", "\t", "\n "]))
def test_the_clutter_matcher_agrees_with_a_set_of_whole_tokens(
        classes: list[str], ids: list[str], spaces: str) -> None:
    tree = parse_html(f"<html><body><div class=\"{spaces.join(classes)}\" "
                      f"id=\"{spaces.join(ids)}\">x</div></body></html>")
    div = tree.find(".//div")
    oracle = any(word.casefold() in CLUTTER_TOKENS for word in classes + ids)
    assert is_clutter(div) == oracle


# --- split bodies and furniture lines ----------------------------------------------------

def test_two_article_body_blocks_are_both_kept() -> None:
    html = page(f"<main><div class=\"article__body\">{paragraphs_html(PARAGRAPHS[:2])}</div>"
                f"<div class=\"ad-slot\"><p>Advertisement</p></div>"
                f"<div class=\"article__body\">{paragraphs_html(PARAGRAPHS[2:])}</div></main>")
    article = extract_article(html, "https://paper.example/a")
    assert all(p in article.text for p in PARAGRAPHS)
    assert article.text.index(PARAGRAPHS[0]) < article.text.index(PARAGRAPHS[3])


def test_share_prompts_and_also_on_lines_are_dropped() -> None:
    html = page(f"<article>{paragraphs_html(PARAGRAPHS)}<p>Also on Paper: the mayor "
                f"resigns</p><p>Like this story? Share it with a friend!</p></article>")
    article = extract_article(html, "https://paper.example/a")
    assert all(p in article.text for p in PARAGRAPHS)
    assert "Also on" not in article.text and "Like this story" not in article.text


@pytest.mark.parametrize("line", [
    "Comments", "You may also like...", "More:", "DON'T MISS", "Text size",
    "Related post: Pickled sprouts, a recipe",
    "Follow her on Twitter @reporter or on Facebook.",
    "Get the latest updates right in your inbox. Subscribe to the Paper's newsletters.",
    "Also on Paper: the mayor resigns", "Like this story? Share it with a friend!",
    "Reporting by A. Writer; Editing by B. Editor",
    "Associated Press writers C. Reporter and D. Reporter contributed to this report.",
    "Reading time: 2 minutes", "Tempo de leitura: 2 minutos", "4 min read"])
def test_furniture_lines_are_recognised(line: str) -> None:
    assert is_clutter_line(line)


@pytest.mark.parametrize("line", [
    "Comments made by the minister on Monday drew criticism from the opposition.",
    "More than 300 people were killed in the fighting, the observatory said.",
    "Related talks in Geneva collapsed last month.", PARAGRAPHS[0],
    "Reporting by the agency could not be verified, the ministry said."])
def test_article_sentences_are_not_furniture(line: str) -> None:
    assert not is_clutter_line(line)


def test_a_first_paragraph_repeating_the_headline_or_the_byline_is_dropped() -> None:
    html = page(f"<article><h1>Fighting in the city</h1><p>Fighting in the city</p>"
                f"<p>by Karim Haddad — November 18, 2019</p>"
                f"{paragraphs_html(PARAGRAPHS)}</article>",
                head='<meta name="author" content="Karim Haddad">')
    article = extract_article(html, "https://paper.example/a")
    assert (article.title, article.byline) == ("Fighting in the city", "Karim Haddad")
    assert article.text.startswith(PARAGRAPHS[0])
    # a paragraph of the article naming its author is text
    quoted = "Karim Haddad, who has reported from the city since 2012, said the army " \
             "had never advanced this far, and that residents feared a long siege."
    html = page(f"<article><p>{quoted}</p>{paragraphs_html(PARAGRAPHS)}</article>",
                head='<meta name="author" content="Karim Haddad">')
    assert extract_article(html, "https://paper.example/a").text.startswith(quoted)


def test_an_embedded_tweet_stays_in_the_text_where_the_page_has_it() -> None:
    tweet = ("Our statement on the attack on the western districts tonight: we condemn "
             "it without reservation. pic.twitter.com/abc123")
    html = page(f"<article>{paragraphs_html(PARAGRAPHS[:2])}"
                f"<blockquote class=\"twitter-tweet\" data-lang=\"en\"><p lang=\"en\">"
                f"{tweet}</p>&mdash; City Council (@council) <a href=\"https://twitter.com/"
                f"council/status/1\">November 18, 2019</a></blockquote>"
                f"<script async src=\"https://platform.twitter.com/widgets.js\"></script>"
                f"{paragraphs_html(PARAGRAPHS[2:])}</article>")
    article = extract_article(html, "https://paper.example/a")
    paragraphs = article.text.split("\n\n")
    assert tweet in paragraphs and "— City Council (@council) November 18, 2019" in paragraphs
    assert paragraphs.index(PARAGRAPHS[1]) < paragraphs.index(tweet) \
        < paragraphs.index(PARAGRAPHS[2])
    assert article.text.count(tweet) == 1


def test_a_post_the_chosen_reading_dropped_is_put_back_after_its_paragraph() -> None:
    from monitor.extract.posts import Post

    tweet = "Club statement on the new manager, effective immediately. pic.twitter.com/x1"
    reply = "Thank you for everything, boss, and good luck. pic.twitter.com/x2"
    posts = (Post(tweet, PARAGRAPHS[1][-120:]), Post(reply, tweet), Post(BODY[:50], ""))
    text = choose(Candidates(trafilatura=BODY, heuristic="", marked=False, blocks=(),
                             json_ld="", visible=BODY, posts=posts)).text
    assert text.split("\n\n") == [*PARAGRAPHS[:2], tweet, reply, *PARAGRAPHS[2:]]


# --- the choice itself -------------------------------------------------------------------

def found(trafilatura: str, heuristic: str, *, marked: bool = True, json_ld: str = "",
          visible: str = "") -> Candidates:
    return Candidates(trafilatura=trafilatura, heuristic=heuristic, marked=marked,
                      blocks=(heuristic,), json_ld=json_ld, visible=visible or heuristic)


BODY = "\n\n".join(PARAGRAPHS)


def test_trafilatura_wins_when_nothing_speaks_against_it() -> None:
    longer = BODY + "\n\n" + PARAGRAPHS[0].upper().replace("ARMY", "NAVY")
    assert choose(found(longer, "Top stories\n\nPartner news")).path == "trafilatura"


def test_the_marked_body_wins_when_trafilatura_keeps_a_fraction_of_it() -> None:
    notice = "This copy is for your personal, non-commercial use only."
    assert choose(found(notice, BODY)).path == "marked-body"
    assert choose(found(notice, BODY, marked=False)).path == "trafilatura"


def test_the_shorter_heuristic_wins_when_trafilatura_holds_it_and_adds_furniture() -> None:
    blurbs = "\n\n".join(["About the company: it makes things and employs 1,300 people "
                          "in fifteen countries around the world."] * 1)
    choice = choose(found(BODY + "\n\n" + blurbs, BODY, marked=False))
    assert (choice.path, choice.text) == ("heuristic", BODY)
    # but not when the heuristic lost half the article
    assert choose(found(BODY, PARAGRAPHS[0], marked=False)).path == "trafilatura"


def test_a_full_json_ld_body_fills_in_what_the_page_readings_missed() -> None:
    choice = choose(found(PARAGRAPHS[0], PARAGRAPHS[0], json_ld="\n".join(PARAGRAPHS)))
    assert (choice.path, choice.text) == ("json-ld", BODY)
    teaser = "\n".join(PARAGRAPHS) + " …"
    assert choose(found(PARAGRAPHS[0], PARAGRAPHS[0], json_ld=teaser)).path != "json-ld"


def test_markup_residue_the_page_does_not_show_is_removed() -> None:
    shown = "Write <b>bold</b> in HTML, the tutorial says, and &amp; for an ampersand."
    residue = f"{PARAGRAPHS[0]} &lt;p&gt;\n\n<div class=\"x\">{PARAGRAPHS[1]}</div>\n\n{shown}"
    choice = choose(found(residue, "", visible=f"{PARAGRAPHS[0]} {PARAGRAPHS[1]} {shown}"))
    assert choice.text == f"{PARAGRAPHS[0]} <p>\n\n{PARAGRAPHS[1]}\n\n{shown}"
    # end to end: what the page shows as text stays text
    html = page(f"<article>{paragraphs_html(PARAGRAPHS)}<p>Write &lt;b&gt;bold&lt;/b&gt; "
                f"in HTML, the tutorial says.</p></article>")
    assert "Write <b>bold</b> in HTML" in extract_article(html, "https://paper.example/a").text
