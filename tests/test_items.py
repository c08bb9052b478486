"""Item-level problems: a failing part costs that part, and is said in one safe line."""

from __future__ import annotations

from monitor.sources.items import MAX_PROBLEMS, Problems, describe, reason


def test_a_part_that_raises_is_dropped_and_reported_and_the_others_kept():
    problems = Problems()
    item = problems.item(3, "Aleppo: shelling resumes")
    title = item.part("title", lambda: "Aleppo: shelling resumes")
    summary = item.part("summary", lambda: "<b>".encode("ascii").decode("utf-16"))
    assert (title, summary) == ("Aleppo: shelling resumes", "")
    assert problems.result() == ['item 3 ("Aleppo: shelling resumes"): summary dropped: '
                                 "UnicodeDecodeError: 'utf-16-le' codec can't decode byte "
                                 "0x3e in position 2: truncated data"]


def test_problem_lines_quote_a_cut_cleaned_label_and_cut_the_reason():
    line = describe(12, "Evil\u202e\ntitle " + "y" * 100, "skipped: " + reason(
        ValueError("line one\nline two " + "z" * 400)))
    assert line.startswith(f'item 12 ("Evil title {"y" * 48}…"): skipped: ValueError: line '
                           "one line two zzz")
    assert len(line) <= 300 and "\n" not in line and "\u202e" not in line
    assert describe(1, "", "skipped: KeyError") == "item 1: skipped: KeyError"
    assert reason(KeyError()) == "KeyError"


def test_beyond_the_bound_problems_are_counted_not_kept():
    problems = Problems()
    for number in range(1, MAX_PROBLEMS + 4):
        problems.add(number, f"t{number}", "skipped: x")
    lines = problems.result()
    assert len(lines) == MAX_PROBLEMS + 1
    assert lines[0] == 'item 1 ("t1"): skipped: x' and lines[-1] == "3 more items had problems"
