"""Pharmacy Desk (药事台): the domain layer. Never imports Qt."""

__version__ = "0.1.0"
