"""Right-to-left pages and legacy encodings: Arabic in windows-1256 or ISO-8859-6, with a
<meta charset>, an HTTP charset, or neither; the language of a page that declares none."""

from __future__ import annotations

from monitor.extract import decode_page, extract_article
from tests.test_extract_choice import ARABIC, PARAGRAPHS, page, paragraphs_html

ARABIC_WORDS = ("المرصد السوري لحقوق الإنسان", "فصائل المعارضة", "حلب")


def test_an_arabic_windows_1256_page_decodes_and_reports_arabic() -> None:
    data = (ARABIC / "aleppo-windows-1256.html").read_bytes()
    assert b"windows-1256" in data
    article = extract_article(data, "https://arabic.example/a")
    assert article.language == "ar"
    assert article.title == "الجيش السوري يصد هجوما على غرب حلب"
    assert all(word in article.text for word in ARABIC_WORDS)
    assert "\ufffd" not in article.text and "جميع الحقوق" not in article.text


def test_an_arabic_page_without_a_charset_is_detected() -> None:
    data = (ARABIC / "aleppo-undeclared.html").read_bytes()
    assert b"charset" not in data
    article = extract_article(data, "https://arabic.example/a")
    assert article.language == "ar"
    assert all(word in article.text for word in ARABIC_WORDS)
    assert "\ufffd" not in article.text


def test_an_iso_8859_6_page_decodes() -> None:
    text = (ARABIC / "aleppo-undeclared.html").read_bytes().decode("cp1256")
    declared = text.replace("<head>", '<head><meta charset="iso-8859-6">')
    for data in (declared.encode("iso-8859-6"), text.encode("iso-8859-6")):
        decoded = decode_page(data)
        assert all(word in decoded for word in ARABIC_WORDS)


def test_the_http_charset_wins_over_a_wrong_meta_and_over_detection() -> None:
    text = (ARABIC / "aleppo-undeclared.html").read_bytes().decode("cp1256")
    wrong = text.replace("<head>", '<head><meta charset="utf-8">').encode("cp1256")
    article = extract_article(wrong, "https://arabic.example/a",
                              "text/html; charset=windows-1256")
    assert article.language == "ar" and all(word in article.text for word in ARABIC_WORDS)
    assert "\ufffd" in decode_page(wrong)  # without the header the meta is believed
    assert decode_page(text.encode("iso-8859-6"), 'text/html;charset="ISO-8859-6"') \
        == text
    # an unknown or UTF-16 label in the header is ignored, as browsers do
    assert all(word in decode_page(text.encode("cp1256"), "text/html; charset=utf-16")
               for word in ARABIC_WORDS)


def test_an_undeclared_arabic_or_hebrew_page_gets_its_language_from_its_script() -> None:
    text = (ARABIC / "aleppo-undeclared.html").read_bytes().decode("cp1256")
    bare = text.replace(' lang="ar"', "")
    assert extract_article(bare.encode("cp1256"), "https://arabic.example/a").language == "ar"
    persian = bare.replace("حلب", "حلب پ")  # a Persian letter: not necessarily Arabic
    assert extract_article(persian.encode("utf-8"), "https://x.example/a").language is None
    hebrew = page("<article>" + "<p>הצבא הודיע ביום שני כי הדף את המתקפה על השכונות "
                  "המערביות של העיר, לאחר לילה של הפגזות כבדות.</p>" * 4 + "</article>")
    assert extract_article(hebrew.replace(' lang="en"', ""), "").language == "he"
    assert extract_article(page(paragraphs_html(PARAGRAPHS)), "").language == "en"


def test_news_monitor_test_reads_a_saved_windows_1256_page_in_its_own_charset(tmp_path) -> None:
    """`news-monitor test FILE` decodes a saved page by its <meta charset>, as the pipeline
    does: the Arabic name of Aleppo in a windows-1256 page fires a rule on Aleppo."""
    from tests.conftest import ROOT, run_cli, write_config

    config = write_config(tmp_path, sources=[{"name": "F", "feed": str(tmp_path / "x.xml")}],
                          rules=[{"name": "Aleppo", "places": ["Aleppo"]}])
    (tmp_path / "x.xml").write_text("<rss/>")
    page = ROOT / "tests" / "data" / "arabic" / "aleppo-windows-1256.html"
    result = run_cli("test", "-c", str(config), str(page))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Aleppo" in result.stdout and "حلب" in result.stdout
