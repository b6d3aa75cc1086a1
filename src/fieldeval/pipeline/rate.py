"""A pass rate as a test asserts on it: k of n with its 95% interval, and what failed."""

from __future__ import annotations

from dataclasses import dataclass

SHOWN_FAILURES = 5


def _percent(value: float) -> str:
    return f"{value * 100:.0f}%"


@dataclass(frozen=True)
class RateResult:
    """k of n passed, with a 95% Wilson interval; compares to a number by its point value."""

    name: str
    candidate: str
    k: int
    n: int
    lower: float
    upper: float
    failing: tuple[str, ...] = ()  # the failing outputs' example ids, in run order
    errors: int = 0  # outputs that errored, left out of n

    @property
    def value(self) -> float | None:
        """k / n; None when nothing was counted."""
        return self.k / self.n if self.n else None

    def __str__(self) -> str:
        if self.value is None:
            return f"{self.name} for {self.candidate}: no outputs counted (0/0)"
        return (
            f"{self.name} for {self.candidate}: {_percent(self.value)} ({self.k}/{self.n}),"
            f" 95% CI {_percent(self.lower)}–{_percent(self.upper)}"
        )

    def __repr__(self) -> str:
        # pytest prints this beside `.lower` or `.value` when an assertion on them fails.
        failing = f"; failing: {self.failing_summary()}" if self.failing else ""
        errors = f"; {self.errors} errored, not counted" if self.errors else ""
        return f"RateResult({self}{failing}{errors})"

    def failing_summary(self, shown: int = SHOWN_FAILURES) -> str:
        """The first failing example ids, and how many more there are."""
        more = len(self.failing) - shown
        return ", ".join(self.failing[:shown]) + (f" (+{more} more)" if more > 0 else "")

    def explain(self) -> list[str]:
        """Lines for a failed assertion: the rate, its interval, n and what failed."""
        lines = [str(self)]
        if self.value is not None:
            lines.append(
                f"pass rate {self.value:.3f} over n={self.n}; 95% interval"
                f" [{self.lower:.3f}, {self.upper:.3f}]"
            )
        if self.failing:
            lines.append(f"failing outputs (example ids): {self.failing_summary()}")
        if self.errors:
            lines.append(f"{self.errors} outputs errored and are not counted in n")
        return lines

    def _point(self, other: object) -> tuple[float, float] | None:
        theirs = other.value if isinstance(other, RateResult) else other
        if self.value is None or not isinstance(theirs, int | float):
            return None
        return self.value, float(theirs)

    def __lt__(self, other: object) -> bool:
        pair = self._point(other)
        return pair is not None and pair[0] < pair[1]

    def __le__(self, other: object) -> bool:
        pair = self._point(other)
        return pair is not None and pair[0] <= pair[1]

    def __gt__(self, other: object) -> bool:
        pair = self._point(other)
        return pair is not None and pair[0] > pair[1]

    def __ge__(self, other: object) -> bool:
        pair = self._point(other)
        return pair is not None and pair[0] >= pair[1]
