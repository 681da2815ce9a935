"""Database layer: one SQLite file per installation, WAL, numbered migrations.

Nothing here imports Qt. Connections belong to the thread that opened them.
"""

from db.connection import DatabaseTooNew, NotOurDatabase, open_db, transaction

__all__ = ["DatabaseTooNew", "NotOurDatabase", "open_db", "transaction"]
