"""news-monitor: watch news feeds, match watch rules, send alerts."""

__version__ = "0.1.0"
