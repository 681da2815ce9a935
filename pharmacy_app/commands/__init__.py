"""Sub-commands added by feature areas, one module each.

A module here defines `register(sub)`, which adds its parser(s) to the
`pharmacy-app` sub-parsers and sets `handler=<function(args) -> int>` with
`set_defaults`. Heavy imports stay inside the handlers: the parser is built
on every start, including the plain window start.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil


def register_all(sub: argparse._SubParsersAction) -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        importlib.import_module(f"{__name__}.{info.name}").register(sub)
