"""Numbers, amounts, times and dates in free text, and whether a given fact is stated.

The invented-facts oracle asks whether a fact removed from a variant's input shows up in
the reply anyway; these are the readers it compares by value, not by spelling.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation


def skeleton(text: str) -> str:
    """`text` case-folded, with everything but letters and digits removed (NFKC first).

    "S-U-N flower", "sun.flower" and "SUN\u200bFLOWER" all become "sunflower".
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(char for char in folded if char.isalnum())


_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = "(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"
_DATE_FORMS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)"), "ymd"),
    (re.compile(r"(?<!\d)(\d{1,2})[-/.](\d{1,2})[-/.](\d{4}|\d{2})(?!\d)"), "xxy"),
    (re.compile(rf"\b{_MONTH}\s+{_DAY}(?:,?\s+(\d{{4}}))?(?!\d)", re.IGNORECASE), "mdy"),
    (re.compile(rf"(?<!\d){_DAY}(?:\s+of)?\s+{_MONTH}(?:,?\s+(\d{{4}}))?\b", re.IGNORECASE), "dmy"),
)
_NUMBER = re.compile(r"(?<![\d.,])\d+(?:[.,]\d+)*(?![\w]|[.,]\d)")
_TIME = re.compile(r"(?<!\d)(\d{1,2}):(\d{2})(?!\d)")

Date = tuple[int | None, int, int]  # (year or None, month, day)


def _year(text: str | None) -> int | None:
    if not text:
        return None
    year = int(text)
    return year + 2000 if year < 100 else year


def dates_in(text: str) -> set[Date]:
    """Every date written in `text`, as (year or None, month, day).

    A numeric date such as 03/04/2024 is ambiguous; both readings are returned.
    """
    found: set[Date] = set()
    for pattern, form in _DATE_FORMS:
        for match in pattern.finditer(text):
            groups = match.groups()
            readings: list[Date] = []
            if form == "ymd":
                readings = [(int(groups[0]), int(groups[1]), int(groups[2]))]
            elif form == "xxy":
                first, second, year = int(groups[0]), int(groups[1]), _year(groups[2])
                readings = [(year, first, second), (year, second, first)]
            elif form == "mdy":
                readings = [(_year(groups[2]), _MONTHS[groups[0].lower()], int(groups[1]))]
            else:
                readings = [(_year(groups[2]), _MONTHS[groups[1].lower()], int(groups[0]))]
            found.update(d for d in readings if 1 <= d[1] <= 12 and 1 <= d[2] <= 31)
    return found


def _same_date(a: Date, b: Date) -> bool:
    return a[1:] == b[1:] and (a[0] is None or b[0] is None or a[0] == b[0])


def _value(number: str) -> Decimal | None:
    """A written number's value: "1,249.99", "1.249,99" and "1249.990" are all 1249.99."""
    if "," in number and "." in number:
        decimal_mark = "," if number.rfind(",") > number.rfind(".") else "."
        thousands = "." if decimal_mark == "," else ","
        number = number.replace(thousands, "").replace(decimal_mark, ".")
    elif "," in number:
        parts = number.split(",")
        grouped = len(parts) > 2 or len(parts[-1]) == 3
        number = number.replace(",", "") if grouped else number.replace(",", ".")
    elif number.count(".") > 1:
        number = number.replace(".", "")
    try:
        return Decimal(number).normalize()
    except InvalidOperation:  # pragma: no cover - the pattern admits only digits
        return None


def numbers_in(text: str) -> set[Decimal]:
    """Every number written in digits in `text`, by value."""
    values = (_value(match.group()) for match in _NUMBER.finditer(text))
    return {value for value in values if value is not None}


def _times_in(text: str) -> set[tuple[int, int]]:
    return {(int(h), int(m)) for h, m in _TIME.findall(text)}


def _plain(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def fact_in(fact: str, text: str) -> bool:
    """Whether `fact` (a removed date, amount, number or phrase) is stated in `text`.

    A date is found in any common writing of it; a time by its hour and minute; otherwise
    every number in the fact must appear by value ($1,249.99 is 1249.99). A fact whose
    numbers are all single digits, or that has none, must appear as written (case and
    spacing aside). A bare single digit ("3") is never found: it is in too many replies
    to prove anything.
    """
    fact_dates = dates_in(fact)
    if fact_dates:
        return any(_same_date(a, b) for a in fact_dates for b in dates_in(text))
    fact_times = _times_in(fact)
    if fact_times:
        return fact_times <= _times_in(text)
    fact_numbers = numbers_in(fact)
    if skeleton(fact).isdigit() and all(value < 10 for value in fact_numbers):
        return False  # a bare "3" proves nothing: it is in too many replies
    if fact_numbers and any(
        abs(value) >= 10 or value != value.to_integral() for value in fact_numbers
    ):
        return fact_numbers <= numbers_in(text)
    wanted = _plain(fact)
    return (
        bool(wanted) and re.search(rf"(?<!\w){re.escape(wanted)}(?!\w)", _plain(text)) is not None
    )
