"""Pieces every indicator module shares: exact shares and the alert record."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

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
