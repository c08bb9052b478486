"""news-monitor: watch news feeds, match watch rules, send alerts."""

import sys

__version__ = "0.1.0"

# httpx imports its command-line client, with rich and pygments (~6 MB per process), whenever
# rich is installed; nothing here uses it. A None entry makes that import fail, and httpx
# then defines a stub instead (its documented fallback when the CLI extras are missing).
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
