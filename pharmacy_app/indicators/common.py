"""Pieces every indicator module shares: exact shares and the alert record."""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, TypeVar

Number = Fraction | float | int | None


def ratio(numerator: int, denominator: int) -> Fraction | None:
    """Exact share; None when nothing is judged (FORMATS.md: null)."""
    return Fraction(numerator, denominator) if denominator else None


def as_float(value: Fraction | None) -> float | None:
    """A share for JSON: rounded to 6 places, null stays null."""
    return None if value is None else round(float(value), 6)


def json_number(value: Number) -> float | int | None:
    return as_float(value) if isinstance(value, Fraction) else value


@dataclass(frozen=True)
class Alert:
    """One monitoring alert for the window, the CLI and the PDF: the rule, what it
    is about, and the figure that crossed its threshold."""

    rule: str
    subject: str
    figure: Number
    threshold: Number
    message: str

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "subject": self.subject,
            "figure": json_number(self.figure),
            "threshold": json_number(self.threshold),
            "message": self.message,
        }


F = TypeVar("F", bound=Callable[..., Any])


def without_gc_pauses(func: F) -> F:
    """Run `func` with Python's cyclic garbage collector paused, then restore it.

    An indicators call builds ~100,000 short-lived tuples and small objects
    (rows, per-drug figures, late orders), none of them in reference cycles,
    and the collector's full passes over them took ~30 % of a call on
    1,000,000 purchase lines (bench/indicators_bench.py: 0.77 s against
    0.51 s). Reference counting still frees everything; the collector runs
    again afterwards. Nested and concurrent calls leave it as they found it
    (only the call that paused it turns it back on).
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return func(*args, **kwargs)
        finally:
            if was_enabled:
                gc.enable()

    return wrapper  # type: ignore[return-value]
