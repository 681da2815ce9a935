"""Catalogue products: validation, saving, (de)activation, search keys.

The importer, the product dialog and the command line all go through
`normalise_product`, `validate_product` and `product_row` (written by
`save_products`, or `write_product_rows` for the importer, which checks on
its own thread), so a rule about a product lives here once. CON-1: consumables carry the national 27-character code starting with
`C` (and a UDI where known); drugs the 23-character national drug code.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from decimal import Decimal
from functools import lru_cache

from db import transaction
from pharmacy_app.parsing import conversion_from_package, decimal_text, to_halfwidth

DRUG_CODE_RE = re.compile(r"^[A-Z][A-Z0-9]{22}$")
CONSUMABLE_CODE_RE = re.compile(r"^C[A-Z0-9]{26}$")

FLAG_FIELDS = ("is_essential", "is_vbp", "consistency", "originator", "negotiated")

FIELD_LABELS = {
    "code": "药品编码",
    "kind": "类别",
    "generic_name": "通用名",
    "dosage_form": "剂型",
    "specification": "规格",
    "package": "包装",
    "conversion": "转换比",
    "manufacturer": "生产企业",
    "is_essential": "基药",
    "is_vbp": "集采",
    "vbp_batch": "集采批次",
    "consistency": "过评",
    "originator": "原研",
    "negotiated": "国谈",
    "price": "单价",
    "active": "状态",
    "udi": "UDI",
}


@dataclass(frozen=True)
class Product:
    code: str
    generic_name: str
    kind: str = "drug"
    dosage_form: str = ""
    specification: str = ""
    package: str = ""
    conversion: int | None = None
    manufacturer: str = ""
    is_essential: bool = False
    is_vbp: bool = False
    vbp_batch: str = ""
    consistency: bool = False
    originator: bool = False
    negotiated: bool = False
    price: Decimal | None = None
    active: bool = True
    udi: str | None = None
    extra: dict[str, str] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str

    @property
    def label(self) -> str:
        return FIELD_LABELS.get(self.field, self.field)


class ProductInvalid(ValueError):
    def __init__(self, errors: Sequence[FieldError]):
        self.errors = list(errors)
        super().__init__("；".join(f"{e.label}：{e.message}" for e in errors))


def normalise_code(code: str) -> str:
    return to_halfwidth(code).strip().upper().replace(" ", "")


def kind_for_code(code: str) -> str | None:
    """'consumable' for a 27-char C code, 'drug' for a 23-char code, else None."""
    if CONSUMABLE_CODE_RE.match(code):
        return "consumable"
    if DRUG_CODE_RE.match(code):
        return "drug"
    return None


def validate_code(code: str, kind: str | None = None) -> str | None:
    """The reason `code` is not a valid national code, or None if it is."""
    if not code:
        return "编码为空"
    found = kind_for_code(code)
    if found is None:
        if code.startswith("C"):
            return f"耗材编码应为 27 位（以 C 开头），实际 {len(code)} 位：{code}"
        return f"药品编码应为 23 位字母数字，实际 {len(code)} 位：{code}"
    if kind is not None and kind != found:
        wanted = "耗材" if kind == "consumable" else "药品"
        return f"编码 {code} 与类别「{wanted}」不符"
    return None


def normalise_product(p: Product) -> Product:
    """Trim text, upper-case the code, derive conversion from the package."""
    conversion = p.conversion
    if conversion is None and p.package:
        conversion = conversion_from_package(p.package)
    return replace(
        p,
        code=normalise_code(p.code),
        generic_name=p.generic_name.strip(),
        dosage_form=p.dosage_form.strip(),
        specification=p.specification.strip(),
        package=p.package.strip(),
        manufacturer=p.manufacturer.strip(),
        vbp_batch=p.vbp_batch.strip(),
        udi=(p.udi or "").strip() or None,
        conversion=conversion,
    )


# Beyond any real package or price: a typing slip, refused under its field
# (and past SQLite's integers, a crash instead of a message).
MAX_CONVERSION = 100_000
MAX_PRICE = Decimal(100_000_000)


def validate_product(p: Product) -> list[FieldError]:
    """Every reason the product cannot be stored, one per field."""
    errors: list[FieldError] = []
    if p.kind not in ("drug", "consumable"):
        errors.append(FieldError("kind", f"类别必须是 药品 或 耗材，收到：{p.kind!r}"))
    reason = validate_code(p.code, p.kind if p.kind in ("drug", "consumable") else None)
    if reason:
        errors.append(FieldError("code", reason))
    if not p.generic_name:
        errors.append(FieldError("generic_name", "通用名不能为空"))
    if p.conversion is None:
        if p.package:
            errors.append(FieldError("conversion", f"无法从包装「{p.package}」推算转换比，请填写转换比"))
        else:
            errors.append(FieldError("conversion", "转换比为空且没有包装可推算"))
    elif p.conversion <= 0:
        errors.append(FieldError("conversion", f"转换比必须大于 0，收到：{p.conversion}"))
    elif p.conversion > MAX_CONVERSION:
        errors.append(FieldError("conversion", f"转换比过大（{p.conversion}），请核对"))
    if p.price is not None and p.price < 0:
        errors.append(FieldError("price", f"单价不能为负：{p.price}"))
    elif p.price is not None and p.price >= MAX_PRICE:
        errors.append(FieldError("price", f"单价过大（{p.price}），请核对"))
    if p.is_vbp is False and p.vbp_batch and p.kind == "drug":
        # A batch without the flag is a contradiction the user should see.
        errors.append(FieldError("is_vbp", f"填写了集采批次「{p.vbp_batch}」但未标记为集采"))
    return errors


@lru_cache(maxsize=200_000)
def pinyin_initials(text: str) -> str:
    """阿莫西林胶囊 → 'amxljn'. Letters and digits pass through lower-cased.

    Polyphonic characters take every reading's initial, joined as
    alternatives is overkill for search; pypinyin's default (most common)
    reading is what users type.
    """
    from pypinyin import Style, lazy_pinyin

    letters = lazy_pinyin(to_halfwidth(text), style=Style.FIRST_LETTER, errors="default")
    return "".join(ch for ch in "".join(letters).lower() if ch.isalnum())


def search_key(p: Product) -> str:
    """What the catalogue search matches against: pinyin of name and maker."""
    return names_key(p.generic_name, p.manufacturer)


def names_key(generic_name: str, manufacturer: str) -> str:
    return f"{pinyin_initials(generic_name)} {pinyin_initials(manufacturer)}"


COLUMNS = (
    "code",
    "kind",
    "generic_name",
    "dosage_form",
    "specification",
    "package",
    "conversion",
    "manufacturer",
    "is_essential",
    "is_vbp",
    "vbp_batch",
    "consistency",
    "originator",
    "negotiated",
    "price",
    "active",
    "udi",
    "pinyin",
    "content_hash",
)


def product_row(p: Product) -> tuple:
    """The product as a tuple in COLUMNS order, ready for executemany."""
    values = (
        p.code,
        p.kind,
        p.generic_name,
        p.dosage_form,
        p.specification,
        p.package,
        p.conversion,
        p.manufacturer,
        int(p.is_essential),
        int(p.is_vbp),
        p.vbp_batch,
        int(p.consistency),
        int(p.originator),
        int(p.negotiated),
        decimal_text(p.price) if p.price is not None else None,
        int(p.active),
        p.udi,
    )
    return sealed_row(values, search_key(p))


def sealed_row(values: tuple, key: str) -> tuple:
    """A product_row() from its 17 product values and search key: the content hash added."""
    return (*values, key, content_hash(values))


def content_hash(values: tuple) -> str:
    """The hash an upsert compares to tell a changed product from an unchanged one.

    Over the 17 values in COLUMNS order as stored (ints for flags, decimal
    text for the price), so it can be recomputed from a stored row.
    """
    return hashlib.blake2b(repr(values).encode(), digest_size=12).hexdigest()


HASHED_COLUMNS = COLUMNS[:17]  # every column but the search key and the hash itself


_UPSERT_SQL = f"""
INSERT INTO products ({", ".join(COLUMNS)}) VALUES ({", ".join("?" * len(COLUMNS))})
ON CONFLICT(code) DO UPDATE SET
    {", ".join(f"{c}=excluded.{c}" for c in COLUMNS if c != "code")},
    version = products.version + 1,
    updated_at = strftime('%Y-%m-%d %H:%M:%S', 'now', 'localtime')
WHERE products.content_hash IS NOT excluded.content_hash
"""


@dataclass
class SaveCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


def save_products(
    conn: sqlite3.Connection, products: Iterable[Product], *, new: bool = False
) -> SaveCounts:
    """Insert or update products by code, in one transaction.

    Raises ProductInvalid for the first invalid product and writes nothing.
    Unchanged products keep their version and leave no change-log entry.
    With `new` (a product being added) a code already stored is refused, not
    updated: the form's own list may be older than the database.
    """
    rows = []
    for p in products:
        p = normalise_product(p)
        errors = validate_product(p)
        if errors:
            raise ProductInvalid(errors)
        rows.append(product_row(p))
    with transaction(conn):
        if new:
            taken = _existing_hashes(conn, [r[0] for r in rows])
            if taken:
                raise ProductInvalid([FieldError("code", f"编码 {next(iter(taken))} 已在采购目录中")])
        return write_product_rows(conn, rows)


def write_product_rows(conn: sqlite3.Connection, rows: Sequence[tuple]) -> SaveCounts:
    """Upsert product_row() tuples of normalised, valid products, one row per code.

    For callers that normalised and validated already (the catalogue
    importer, on its checking thread); inside the caller's transaction.
    """
    counts = SaveCounts()
    existing = _existing_hashes(conn, [r[0] for r in rows])
    for r in rows:
        old = existing.get(r[0], _MISSING)
        if old is _MISSING:
            counts.inserted += 1
        elif old == r[-1]:
            counts.unchanged += 1
        else:
            counts.updated += 1
    conn.executemany(_UPSERT_SQL, rows)
    return counts


_MISSING = object()
PRODUCT_FIELDS = tuple(f.name for f in fields(Product) if f.name != "extra")


def _existing_hashes(conn: sqlite3.Connection, codes: list[str]) -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for start in range(0, len(codes), 900):
        chunk = codes[start : start + 900]
        marks = ",".join("?" * len(chunk))
        for code, digest in conn.execute(
            f"SELECT code, content_hash FROM products WHERE code IN ({marks})", chunk
        ):
            found[code] = digest
    return found


def set_active(conn: sqlite3.Connection, codes: Sequence[str], active: bool) -> int:
    """(De)activate products; returns how many changed. Deactivation keeps history.

    The content hash follows (it covers `active`): with the old one a later
    save or import setting the product back would be taken for "unchanged".
    """
    changed = 0
    columns = ", ".join(HASHED_COLUMNS)
    with transaction(conn):
        for code in codes:
            row = conn.execute(
                f"SELECT {columns} FROM products WHERE code=? AND active<>?", (code, int(active))
            ).fetchone()
            if row is None:
                continue
            values = tuple(row)
            values = (*values[:15], int(active), *values[16:])
            conn.execute(
                """UPDATE products SET active=?, content_hash=?, version=version+1,
                   updated_at=strftime('%Y-%m-%d %H:%M:%S','now','localtime')
                   WHERE code=?""",
                (int(active), content_hash(values), code),
            )
            changed += 1
    return changed


def get_product(conn: sqlite3.Connection, code: str) -> Product | None:
    row = conn.execute(
        f"SELECT {', '.join(PRODUCT_FIELDS)} FROM products WHERE code=?",
        (code,),
    ).fetchone()
    if row is None:
        return None
    return product_from_row(tuple(row))


def product_from_row(row: Sequence) -> Product:
    """A Product from a row selected as PRODUCT_FIELDS."""
    values = dict(zip(PRODUCT_FIELDS, row, strict=True))
    for flag in (*FLAG_FIELDS, "active"):
        values[flag] = bool(values[flag])
    if values.get("price") is not None:
        values["price"] = Decimal(values["price"])
    return Product(**values)


def product_dict(p: Product) -> dict:
    d = asdict(p)
    d.pop("extra", None)
    if d["price"] is not None:
        d["price"] = decimal_text(d["price"])
    return d
