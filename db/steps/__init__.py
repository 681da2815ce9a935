"""Migrations from 0007 on, one module per migration: `m0007_<what>.py`.

Each module defines `NAME` (e.g. "0007_purchase_summary"), `apply(db)` and
`SYNCED` (the tables it puts under the SYNC-1 change log, maybe empty).
`db/migrations.py` registers them in file-name order after 0001–0006.

Why a module per step: features built side by side each add their own
schema without editing one shared file; the number in the file name fixes
the order. Never edit a step that has shipped: add a new one.
"""
