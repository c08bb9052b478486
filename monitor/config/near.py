"""`near:` on a rule: the shape of the entry, and its expansion into place Terms.

`near: {place: Aleppo, km: 30}` (or a list of such entries) stands for every place of the
gazetteer within 30 km of Aleppo (monitor/catalog/nearby.py); its Terms join the rule's
`places:`, so the rule's place condition holds when the article names any place of either.
The catalog answers what is near what; this module only checks the entry where it is
written and turns the catalog's answer into located problems and notes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from monitor.geo import MAX_KM
from monitor.match.spec import Term

if TYPE_CHECKING:
    from monitor.config.watchlists import Loading
    from monitor.yamlpos import Located

MAX_NEAR = 20  # `near:` entries in one rule


class NearConfig(BaseModel):
    """One `near:` entry: a place of the gazetteer and a radius around it (unknown keys
    are errors, as in every mapping of the config files: settings.FileModel)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    place: str = Field(min_length=1, max_length=200,
                       description="a place of the gazetteer (a town, or a country or region: "
                                   "then its capital's point)")
    km: float = Field(gt=0, le=MAX_KM, description=f"the radius in km (at most {MAX_KM:g})")


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, dict) else value


_ENTRY_SCHEMA = {
    "type": "object", "additionalProperties": False, "required": ["place", "km"],
    "properties": {
        "place": {"type": "string", "minLength": 1, "maxLength": 200,
                  "description": "a place of the gazetteer"},
        "km": {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_KM,
               "description": f"the radius in km (at most {MAX_KM:g})"}}}
Near = Annotated[tuple[NearConfig, ...], BeforeValidator(_as_list), Field(max_length=MAX_NEAR),
                 WithJsonSchema({"anyOf": [_ENTRY_SCHEMA, {"type": "array", "items": _ENTRY_SCHEMA,
                                                          "maxItems": MAX_NEAR}]})]


def near_terms(entries: tuple[NearConfig, ...], rule: int, located: Located,
               ctx: Loading) -> tuple[Term, ...]:
    """The place Terms of a rule's `near:` entries; an unknown place or one without
    coordinates is a problem at its file:line, a radius that takes in more places than the
    catalog keeps is a note saying how far the kept ones reach."""
    catalog = ctx.catalog
    if catalog is None:  # the catalog failed to load: that problem is reported already
        return ()
    found: list[Term] = []
    for j, entry in enumerate(entries):
        path = ("rules", rule, "near", *((j,) if len(entries) > 1 else ()))
        try:
            nearby = catalog.near_terms(entry.place, entry.km)
        except (LookupError, ValueError) as err:
            message = str(err.args[0]) if err.args else str(err)
            ctx.problems.append(located.problem((*path, "place"), f"near: {message}"))
            continue
        found.extend(nearby.terms)
        ctx.places.setdefault(nearby.centre, str(catalog.place(entry.place)))
        reading = catalog.reading_note(entry.place)  # "Tripoli" has two centres
        if reading is not None:
            ctx.notes.append(located.problem((*path, "place"), f"note: {reading}"))
        if nearby.kept < nearby.places:
            ctx.notes.append(located.problem(
                (*path, "km"),
                f"note: near: {entry.km:g} km around {nearby.centre} takes in "
                f"{nearby.places:,} places; only the nearest {nearby.kept:,} (up to "
                f"{nearby.reach:g} km) are matched: use a smaller km"))
    return tuple(found)
