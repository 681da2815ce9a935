"""Products' content hashes recomputed where deactivating left them stale.

Why: until this step, (de)activating a product (catalogue.set_active) changed
`active` but not `content_hash`, which covers it. Saving or importing the
product with its old state back then matched the stale hash and was taken
for "unchanged": a deactivated drug could not be put back in use. set_active
now keeps the hash right; this step repairs rows written before.

The hash is recomputed here as pharmacy_app.catalogue.content_hash computes it
(blake2b, 12 bytes, over the repr of the 17 stored values in column order) —
a frozen copy, so this step means what it meant when it shipped;
tests/test_db.py checks the two agree.
"""

from __future__ import annotations

import hashlib

from sqlite_utils import Database

NAME = "0014_product_hashes_follow_active"
SYNCED: tuple[str, ...] = ()

HASHED = (
    "code", "kind", "generic_name", "dosage_form", "specification", "package", "conversion",
    "manufacturer", "is_essential", "is_vbp", "vbp_batch", "consistency", "originator",
    "negotiated", "price", "active", "udi",
)


def stored_hash(values: tuple) -> str:
    return hashlib.blake2b(repr(values).encode(), digest_size=12).hexdigest()


def apply(db: Database) -> None:
    conn = db.conn
    stale = []
    for row_id, *values, digest in conn.execute(
        f"SELECT id, {', '.join(HASHED)}, content_hash FROM products"
    ):
        right = stored_hash(tuple(values))
        if right != digest:
            stale.append((right, row_id))
    conn.executemany("UPDATE products SET content_hash = ? WHERE id = ?", stale)
