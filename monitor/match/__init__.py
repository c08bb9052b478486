"""Rule matching: compile watch rules once, then match documents against all of them.

    matcher = Matcher.compile(rule_specs)       # raises QueryError (.rule, .part, .position)
    matches = matcher.match(Document(title, text))
    matcher.rule_count
    parse_query(text, aliases=None)             # the syntax tree; raises QueryError
    check_term(written)                         # raises TermError (.position) for a term
                                                # nobody can mean literally, such as '.*'

spec.py is the input contract (RuleSpec, Term); see engine.py for how matching works and
scores; query.py for the query language (lexer.py, syntax.py, predicate.py do its parts);
normalize.py and terms.py for what counts as a word.
"""

from monitor.match.engine import Matcher
from monitor.match.query import QueryError, parse_query
from monitor.match.terms import TermError, check_term

__all__ = ["Matcher", "QueryError", "TermError", "check_term", "parse_query"]
