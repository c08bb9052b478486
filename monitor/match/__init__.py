"""Rule matching: compile watch rules once, then match documents against all of them.

    matcher = Matcher.compile(rule_specs)      # raises QueryError (.rule, .position)
    matches = matcher.match(Document(title, text))

See engine.py for how matching works and query.py for the query language.
"""

from monitor.match.engine import Matcher
from monitor.match.query import QueryError, parse_query

__all__ = ["Matcher", "QueryError", "parse_query"]
