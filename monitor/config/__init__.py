"""monitor.yaml and watchlist files: their shape, loading, and checks with file:line:col.

`load_config()` is this layer's way in: it returns a fully checked `Config` (rules compiled)
or raises `ConfigError` holding every problem found, each located in its file. The daemon and
the CLI load through `monitor.checks.load_checked()`, which adds the checks of the layers
above (channels built, templates rendered, selectors compiled), so `check` and `run` accept
exactly the same files.

    values.py      durations, sizes, cron lines, time zones, IP blocks, the state URL
    settings.py    the pydantic shape of both files, and their JSON Schemas
    loading.py     load_config: monitor.yaml, sources, channels, catalogs
    watchlists.py  watchlist files → RuleSpecs, terms and queries checked, rules compiled
    problems.py    errors → Problems at file:line:col
    hooks.py       Checks: what the layers above check for config
    resolved.py    what loading produces: Config, Source, Channel, ConfigError
"""

from monitor.config.hooks import ChannelCheck, Checks, SelectorCheck, TemplateCheck
from monitor.config.loading import load_config
from monitor.config.resolved import DEFAULT_CHANNEL, Channel, Config, ConfigError, Source
from monitor.config.settings import (
    ChannelConfig,
    DeliverySettings,
    HealthSettings,
    MonitorFile,
    PollSettings,
    QuietHours,
    RuleConfig,
    SourceConfig,
    WatchlistFile,
    WeightedTerm,
    json_schemas,
)
from monitor.config.values import (
    Duration,
    PriorityName,
    Size,
    cron_trigger,
    format_duration,
    parse_duration,
    parse_size,
)

__all__ = [
    "DEFAULT_CHANNEL", "Channel", "ChannelCheck", "ChannelConfig", "Checks", "Config",
    "ConfigError", "DeliverySettings", "Duration", "HealthSettings", "MonitorFile",
    "PollSettings", "PriorityName", "QuietHours", "RuleConfig", "SelectorCheck", "Size",
    "Source", "SourceConfig", "TemplateCheck", "WatchlistFile", "WeightedTerm", "cron_trigger",
    "format_duration", "json_schemas", "load_config", "parse_duration", "parse_size",
]
