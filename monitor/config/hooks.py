"""The checks config needs from the layers above it, handed in rather than imported.

Config checks everything that is its own or below it: the shape of the files, durations,
cron lines, time zones, the state URL, catalogs, every term and query, and the rules
compiled into a matcher. Three checks belong to layers that themselves import config
(alerts, sources): whether a channel can be built from its URL, whether a template renders
for it, whether a CSS selector compiles. Importing those layers here would make config and
them depend on each other, so the layer above passes its checks in (monitor.checks builds the
real ones) and load_config reports what each raises at the YAML key it is about.

Without checks (Checks(), the default of load_config) those three are skipped; everything
else is still checked. The daemon and the CLI always load with the real ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from monitor.yamlpos import Located, Path_, Problem

# Each check returns None when all is well and raises ValueError saying what is wrong.
TemplateCheck = Callable[[Path, str], None]  # (template file, the channel's URL)
ChannelCheck = Callable[[str, str, Path | None], None]  # (name, url, template file or None)
SelectorCheck = Callable[[str], None]  # (CSS selector)


def skip(*_args: Any) -> None:
    """The check a caller did not hand in: accept."""


@dataclass(frozen=True, slots=True)
class Checks:
    """What the layers above config check about their part of a configuration.

    template: the file renders alerts for a channel with that URL (the URL's scheme picks
    the layout: Slack, email or plain text). channel: the channel can be built exactly as the
    daemon will build it, with that template (only asked once the template passed, so its
    errors are about the URL). selector: the CSS selector of a site source compiles.
    """

    template: TemplateCheck = skip
    channel: ChannelCheck = skip
    selector: SelectorCheck = skip


def problem_from(check: Callable[..., None], args: tuple[Any, ...], located: Located,
                 path: Path_, label: str) -> Problem | None:
    """Run one check; what it raises becomes a problem at `path`, never an exception.

    ValueError is the contract. Anything else is a fault in the layer's check, reported the
    same way, because a reload must refuse a config it cannot check rather than stop.
    """
    where = ".".join(str(p) for p in path)
    try:
        check(*args)
    except ValueError as err:
        return located.problem(path, f"{where}: {label}{err}")
    except Exception as err:  # any other fault: see the docstring
        return located.problem(path, f"{where}: {label}unexpected {type(err).__name__}: {err}")
    return None
