"""Template renders are bounded in time and size: `check` and reload report a template that
runs away, a send fails with DeliveryError, and nothing huge is allocated on the way."""

from __future__ import annotations

import asyncio
import io
import threading
import tracemalloc
from dataclasses import replace
from functools import partial
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from monitor.alerts import DeliveryError, make_channel
from monitor.alerts.render import (
    BATCH_SHOWN,
    MESSAGE_MAX,
    email_batch_html,
    load_template,
    plain_batch,
    slack_batch_markdown,
)
from monitor.records import Snippet
from tests.bounded import finishes
from tests.conftest import run_cli, write_config
from tests.test_channels import make_alert

# 10^10 turns of an empty loop: hours of work for Python, and no output to count.
FOREVER = "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}"
# Templates that would build a string or a structure far beyond the bound.
HUGE = {
    "repeat": "{{ 'x' * 10**9 }}",
    "power": "{{ 7 ** 10000000 }}",
    "center": "{{ 'x' | center(10**9) }}",
    "ljust": "{{ 'x'.ljust(10**9) }}",
    "indent": "{{ ('a\\n' * 100000) | indent(100000) }}",
    "wordwrap": "{{ ('a' * 100000) | wordwrap(1, wrapstring='x' * 1000) }}",
    "format filter": "{{ '%*s' | format(10**9, 'x') }}",
    "percent width": "{{ '%1000000000s' % 'x' }}",
    "str.format width": "{{ '{:>1000000000}'.format('x') }}",
    "str.format repeat": "{{ ('{0}' * 10000).format('x' * 100000) }}",
    "replace empty": "{{ ('x' * 100000) | replace('', 'y' * 100000) }}",
    "join": "{{ range(1000) | map('string') | join('y' * 100000) }}",
    "expandtabs": "{{ ('\\t' * 100000).expandtabs(100000) }}",
    "translate": "{{ ('x' * 100000).translate({120: 'y' * 100000}) }}",
    "sum of lists": "{{ ([[0] * 10000] * 10000) | sum(start=[]) }}",
    "batch fill": "{{ range(10) | batch(10**9, 'x') | list }}",
    "concat doubling": "{% set ns = namespace(s='x') %}{% for i in range(64) %}"
    "{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
    "plus doubling": "{% set ns = namespace(s='x') %}{% for i in range(64) %}"
    "{% set ns.s = ns.s + ns.s %}{% endfor %}",
    "shared items": "{% set ns = namespace(s='x') %}{% set a = [ns, ns, ns, ns] %}"
    "{% set b = [a, a, a, a] %}{% set c = [b, b, b, b] %}{% set d = [c, c, c, c] %}"
    "{% set ns.s = 'x' * 1000000 %}{{ d | string | length }}",
    "captured block": "{% set s %}{% for i in range(100000) %}{{ 'x' * 100000 }}{% endfor %}"
    "{% endset %}{{ s | length }}",
    "output": "{% for i in range(100000) %}{{ 'x' * 100000 }}{% endfor %}",
}
MEMORY_CEILING = 200_000_000  # bytes: a few copies of the largest value allowed, far below 1 GB


def write(tmp_path: Path, text: str, name: str = "t.txt.j2") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load_error(path: Path) -> str:
    def load() -> str:
        with pytest.raises(ValueError) as caught:
            load_template(path, "text")
        return str(caught.value)

    return finishes(load)


def test_check_stops_a_template_that_would_loop_for_hours(tmp_path: Path) -> None:
    path = write(tmp_path, "line one\n" + FOREVER)
    assert load_error(path) == f"{path}:2: template exceeded the time bound (2 s)"


@pytest.mark.parametrize("text", HUGE.values(), ids=HUGE.keys())
def test_huge_values_are_refused_before_they_are_built(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, f"first line\n\n{text}\n")
    tracemalloc.start()
    try:
        error = load_error(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert error.startswith(f"{path}:3: template exceeded the size bound ("), error
    assert peak < MEMORY_CEILING


def test_templates_cannot_change_lists(tmp_path: Path) -> None:
    path = write(tmp_path, "{% set items = [1] %}{{ items.append(items) }}")
    assert "SecurityError" in load_error(path)


def test_a_template_within_the_bounds_renders_as_before(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "{% for a in alerts | sort(attribute='title') %}{{ loop.index }}. {{ a.title }} "
        "{{ '%-4s|' % a.priority }}{{ '{:>6}'.format(total) }}{{ ' x' * 3 }}\n{% endfor %}",
    )
    template = load_template(path, "text")
    assert template.render([make_alert(title="B"), make_alert(title="A")], "two") == (
        "1. A high|     2 x x x\n2. B high|     2 x x x"
    )


def test_the_largest_real_batch_is_far_below_the_bound() -> None:
    """A digest of as many alerts as a message shows, every field long and made of the
    characters escaping multiplies most, still renders in every style."""
    hostile = make_alert(
        title='&"<>' * 500,
        url="https://e.org/?" + "&" * 5000,
        snippet=Snippet('&"' * 2000, ((0, 300),)),
        sources=tuple(f'source {n} &"<>' * 20 for n in range(200)),
        terms=tuple('&"' * 20 for _ in range(200)),
    )
    for render, kind in ((email_batch_html, "email"), (plain_batch, "text"),
                         (slack_batch_markdown, "slack")):
        text = render([hostile] * BATCH_SHOWN[kind], 'Digest &"<>')
        assert len(text) < MESSAGE_MAX


# -- at send time -----------------------------------------------------------------------------


def run(coro) -> None:
    asyncio.run(coro)


def test_a_send_past_the_bound_is_a_delivery_error(tmp_path: Path, receiver: HTTPServer) -> None:
    # Fine on the trial renders (one and two alerts), so only a send of three finds it.
    path = write(tmp_path, "{% if total > 2 %}{{ 'x' * 10**9 }}{% endif %}{{ alert.title }}")
    receiver.expect_request("/hook", method="POST").respond_with_data("ok")
    url = f"json://127.0.0.1:{receiver.port}/hook"
    for channel in (make_channel("hook", url, template=path),
                    make_channel("console", "console://", stream=io.StringIO(), template=path)):
        with pytest.raises(DeliveryError) as caught:
            finishes(partial(run, channel.send_batch([make_alert()] * 3, "three")))
        assert str(caught.value) == (
            f"{channel.name}: template {path}: template exceeded the size bound "
            f"({MESSAGE_MAX:,} characters)"
        )
        finishes(partial(run, channel.send(make_alert())))  # the channel itself still works
    assert len(receiver.log) == 1


def test_a_send_that_runs_too_long_is_a_delivery_error(tmp_path: Path) -> None:
    path = write(tmp_path, "{% if total > 2 %}" + FOREVER + "{% endif %}{{ alert.title }}")
    channel = make_channel("console", "console://", stream=io.StringIO(), template=path)
    with pytest.raises(DeliveryError, match="exceeded the time bound"):
        finishes(partial(run, channel.send_batch([make_alert()] * 3, "three")))


class _Probe(str):
    """A title that notes which thread turns it into text."""

    threads: list[int] = []

    def __str__(self) -> str:
        self.threads.append(threading.get_ident())
        return str.__str__(self)


def test_templates_render_off_the_event_loop(tmp_path: Path, receiver: HTTPServer) -> None:
    path = write(tmp_path, "{{ alert.raw_alert.title }}")
    receiver.expect_request("/hook", method="POST").respond_with_data("ok")
    alert = replace(make_alert(), title=_Probe("probe"))
    channels = [make_channel("console", "console://", stream=io.StringIO(), template=path),
                make_channel("hook", f"json://127.0.0.1:{receiver.port}/hook", template=path)]

    async def send_all() -> int:
        for channel in channels:
            await channel.send(alert)
        return threading.get_ident()

    _Probe.threads.clear()
    loop_thread = asyncio.run(send_all())
    assert len(_Probe.threads) == 2 and loop_thread not in _Probe.threads


# -- check --------------------------------------------------------------------------------------


def test_check_reports_a_template_past_the_bound(tmp_path: Path) -> None:
    write(tmp_path, "ok\n" + FOREVER, "slow.txt.j2")
    config = write_config(tmp_path, sources=[{"name": "F", "feed": "feed.xml"}],
                          channels={"hook": {"url": "json://127.0.0.1/hook",
                                             "template": "slow.txt.j2"}})
    result = run_cli("check", "-c", str(config), timeout=120)
    assert result.returncode == 1
    assert f"{tmp_path / 'slow.txt.j2'}:2: template exceeded the time bound (2 s)" in (
        result.stderr
    )
