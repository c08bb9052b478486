"""Facts read from an article's words: casualty figures (killed, injured, kidnapped,
displaced) with their qualifiers. Pure functions over text: no I/O, bounded work."""

from monitor.facts.casualties import KINDS, Casualties, Figure, FiguresOf, casualties
from monitor.facts.minimums import Minimums

__all__ = ["KINDS", "Casualties", "Figure", "FiguresOf", "Minimums", "casualties"]
