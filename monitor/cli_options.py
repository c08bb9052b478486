"""Options every `news-monitor` command shares, in a module of their own so that command
modules other than monitor.cli (monitor.cli_places) can use them without a circular import."""

from __future__ import annotations

from pathlib import Path

import click

DEFAULT_CONFIG = "config/monitor.yaml"

config_option = click.option(
    "-c", "--config", "config_path", default=DEFAULT_CONFIG, show_default=True,
    type=click.Path(dir_okay=False, path_type=Path), envvar="NEWS_MONITOR_CONFIG",
    help="monitor.yaml to use (env NEWS_MONITOR_CONFIG).")
