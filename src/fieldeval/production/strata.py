"""What a production record is sliced by: its attributes, model, input length, week."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from fieldeval.records.production import ProductionRecord

# Input lengths in characters: about a tweet, a paragraph, more.
LENGTH_BUCKETS = ((280, "short"), (1200, "medium"))
BUILT_IN = ("model", "length", "week", "day", "source")


def length_bucket(text: str) -> str:
    for limit, name in LENGTH_BUCKETS:
        if len(text) < limit:
            return name
    return "long"


def field_value(record: ProductionRecord, name: str) -> str:
    """The record's value of a stratum field: a built-in name, else an attribute ("" if absent)."""
    if name == "model":
        return record.model or ""
    if name == "length":
        return length_bucket(record.input)
    if name == "week":
        year, week, _ = record.started_at.isocalendar()
        return f"{year}-W{week:02d}"
    if name == "day":
        return record.started_at.date().isoformat()
    if name == "source":
        return record.source
    value = record.attributes.get(name)
    return "" if value is None else str(value)


def stratum_of(record: ProductionRecord, by: Sequence[str]) -> str:
    """`route=billing|length=short`, or `all` when nothing is stratified on."""
    return stratum_label({name: field_value(record, name) for name in by}, by)


def stratum_label(values: Mapping[str, object], by: Sequence[str]) -> str:
    """The stratum of a row holding the fields `by` names (an eval-set example, say)."""
    if not by:
        return "all"
    return "|".join(f"{name}={values.get(name) or '-'}" for name in by)


def check_fields(records: Sequence[ProductionRecord], by: Sequence[str]) -> None:
    """Each field `by` names is built in or an attribute some record has, or a UserError
    naming the closest attributes (a typo would put every record in one stratum)."""
    import difflib

    from fieldeval.errors import UserError

    if not records:
        return
    seen = sorted({key for record in records for key in record.attributes})
    for name in by:
        if name in BUILT_IN or name in seen:
            continue
        guesses = difflib.get_close_matches(name, seen, n=3, cutoff=0.5)
        raise UserError(
            f"no production record has the attribute {name!r} to stratify by",
            hint=(f"did you mean {', '.join(map(repr, guesses))}? " if guesses else "")
            + f"built in: {', '.join(BUILT_IN)}; attributes: {', '.join(seen[:20]) or 'none'}",
        )
