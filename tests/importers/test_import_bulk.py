"""The bulk load (bulk.py) and the fast paths under it agree with the plain definitions.

- KeyIndex finds exactly the repeated keys a dict would, sorted file or not;
- the byte-wise UTF-8 check agrees with Python's strict decoder, across block
  boundaries too;
- column-wise canonical decimals and canonical date layouts agree with
  pharmacy_app.parsing;
- triggers and indexes suspended for a load come back exactly as they were,
  and a trigger that is not a no-op for bulk rows is never suspended.
"""

from __future__ import annotations

import codecs
import datetime as dt
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from importer_fixtures import D1, D2, INSTITUTION, PURCHASE_HEADER, PURCHASES, write_csv

from pharmacy_app.importers import ImportFailed, run_import
from pharmacy_app.importers.bulk import KeyIndex
from pharmacy_app.importers.columns import (
    MSG_BAD_DATE,
    MSG_NO_SUCH_DATE,
    canonical_decimals,
    parse_dates,
    parse_numbers,
)
from pharmacy_app.importers.reading import detect_encoding, valid_utf8
from pharmacy_app.parsing import decimal_text, format_datetime, parse_datetime

# --- duplicate keys -----------------------------------------------------------------


def _reference_duplicates(keys: list[tuple]) -> dict[int, int]:
    first: dict[tuple, int] = {}
    dups = {}
    for i, key in enumerate(keys):
        if key in first:
            dups[i] = first[key]
        else:
            first[key] = i
    return dups


def _run_index(keys: list[tuple], chunk: int) -> dict[int, int]:
    index = KeyIndex()
    found = {}
    for start in range(0, len(keys), chunk):
        part = keys[start : start + chunk]
        columns = [
            pa.array([k[0] for k in part], pa.string()),
            np.array([k[1] for k in part], dtype=np.int64),
        ]
        rows = np.arange(start, start + len(part), dtype=np.int64)
        for k, first in index.check(columns, rows).items():
            found[start + k] = first
    return found


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["PO1", "PO2", "PO10", "po1", "", "订单9"]), st.integers(0, 3)),
        max_size=40,
    ),
    st.integers(1, 7),
    st.booleans(),
)
def test_key_index_finds_exactly_the_repeated_keys(keys, chunk, sort):
    if sort:
        keys = sorted(keys)
    assert _run_index(keys, chunk) == _reference_duplicates(keys)


def test_key_index_sorted_files_never_build_the_hash_index():
    keys = [(f"PO{i // 4:09d}", i % 4) for i in range(1000)]
    index = KeyIndex()
    for start in range(0, 1000, 100):
        part = keys[start : start + 100]
        cols = [pa.array([k[0] for k in part]), np.array([k[1] for k in part], dtype=np.int64)]
        assert index.check(cols, np.arange(start, start + 100)) == {}
    assert index.sorted and len(index.hashes) == 0
    # Numbered without leading zeros (PO9 before PO10) is increasing too.
    keys = [(f"PO{i}", 1) for i in range(20)]
    index = KeyIndex()
    cols = [pa.array([k[0] for k in keys]), np.ones(20, dtype=np.int64)]
    assert index.check(cols, np.arange(20)) == {} and index.sorted


# --- UTF-8 --------------------------------------------------------------------------


def _strict_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8", errors="strict")
    except UnicodeDecodeError:
        return False
    return True


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(max_size=5).map(lambda t: t.encode("utf-8", "surrogatepass")),
            st.binary(max_size=4),
            st.sampled_from([b"\xed\xa0\x80", b"\xc0\xaf", b"\xf4\x90\x80\x80", b"\xe4\xb8"]),
        ),
        max_size=8,
    )
)
def test_valid_utf8_agrees_with_pythons_strict_decoder(parts):
    data = b"".join(parts)
    assert valid_utf8(data) == _strict_utf8(data)


@pytest.mark.parametrize("block", [1, 2, 3, 5, 7, 64])
def test_utf8_scan_across_block_boundaries(tmp_path, monkeypatch, block):
    import pharmacy_app.importers.reading as reading

    monkeypatch.setattr(reading, "SCAN_BLOCK", block)
    text = "订单号,供应商\nPO1,国药控股𠀀海南\nPO2,华润\n"
    good = tmp_path / "good.csv"
    good.write_bytes(text.encode("utf-8"))
    scan = detect_encoding(good)
    assert (scan.codec, scan.lines) == ("utf-8", 3)
    assert callable(scan.sha256) or isinstance(scan.sha256, str)
    bom = tmp_path / "bom.csv"
    bom.write_bytes(codecs.BOM_UTF8 + text.encode("utf-8"))
    assert detect_encoding(bom).codec == "utf-8-sig"
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes(text.replace("𠀀", "").encode("gbk"))
    assert detect_encoding(gbk).codec == "gbk"
    # One GBK character far down an otherwise ASCII file: the file is GBK.
    late = tmp_path / "late.csv"
    late.write_bytes(b"PO1,abc\n" * 50 + "中".encode("gbk") + b"\n")
    assert detect_encoding(late).codec == "gbk"
    # A file ending inside a character is not UTF-8 either.
    cut = tmp_path / "cut.csv"
    cut.write_bytes(text.encode("utf-8") + "药".encode()[:2])
    with pytest.raises(ImportFailed, match="编码"):
        detect_encoding(cut)


def test_sha256_of_the_import_is_the_files(ready, tmp_path):
    import hashlib

    path = write_csv(tmp_path / "p.csv", PURCHASE_HEADER, PURCHASES)
    run_import(ready, "purchases", path)
    stored = ready.execute("SELECT sha256 FROM import_batches").fetchone()[0]
    assert stored == hashlib.sha256(path.read_bytes()).hexdigest()


# --- decimals and dates -------------------------------------------------------------

plain_decimals = st.builds(
    lambda sign, whole, frac: f"{sign}{whole}{'.' + frac if frac is not None else ''}",
    st.sampled_from(["", "-"]),
    st.text("0123456789", min_size=1, max_size=15),
    st.none() | st.text("0123456789", min_size=1, max_size=9),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(plain_decimals, min_size=1, max_size=10))
def test_canonical_decimals_agree_with_decimal_text(values):
    got = canonical_decimals(pa.array(values)).to_pylist()
    assert got == [decimal_text(Decimal(v)) for v in values]


@settings(max_examples=200, deadline=None)
@given(st.lists(plain_decimals, min_size=1, max_size=10))
def test_price_text_agrees_with_decimal_text(values):
    col = parse_numbers(pa.array(values), required=True, negative_ok=True, want_text=True)
    assert col.errors == []
    assert col.text == [decimal_text(Decimal(v)) for v in values]


def _date_reference(value: str, *, with_time: bool) -> tuple[str | None, str | None, int | None]:
    """(stored text, error, epoch seconds) as parsing.parse_datetime says."""
    if not value.strip():
        return None, None, None
    try:
        parsed = parse_datetime(value)
    except ValueError as exc:
        error = MSG_NO_SUCH_DATE if str(exc).startswith("日期不存在") else MSG_BAD_DATE
        return None, error, None
    # Four-digit years as stored (strftime leaves years before 1000 unpadded on glibc).
    text = f"{parsed.year:04d}{format_datetime(parsed)[-15:]}"
    epoch = int(parsed.replace(tzinfo=dt.UTC).timestamp())
    return (text if with_time else text[:10]), None, epoch


digits = st.text("0123456789", min_size=2, max_size=2) | st.sampled_from(["0a", "２1", "1 "])
separator = st.sampled_from(["-", "-", "/", ".", "年", "x", "－", " "])
date_like = st.builds(
    lambda y, m, d, hh, mm, ss, sep1, sep2, tsep, colon, shape: {
        "full": f"{y}{sep1}{m}{sep2}{d}{tsep}{hh}{colon}{mm}:{ss}",
        "date": f"{y}{sep1}{m}{sep2}{d}",
        "minutes": f"{y}{sep1}{m}{sep2}{d}{tsep}{hh}{colon}{mm}",
    }[shape],
    st.text("0123456789", min_size=4, max_size=4),
    st.text("0123456789", min_size=1, max_size=2),
    st.text("0123456789", min_size=1, max_size=2),
    digits,
    digits,
    digits,
    separator,
    separator,
    st.sampled_from([" ", "T", "  ", "_", "-"]),
    st.sampled_from([":", ":", ".", "-"]),
    st.sampled_from(["full", "date", "minutes"]),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(date_like | st.sampled_from(["", "20260301", "46082", "abc"]), max_size=12))
def test_dates_agree_with_parse_datetime_cell_by_cell(values):
    for with_time in (True, False):
        col = parse_dates(pa.array(values, pa.string()), required=False, with_time=with_time)
        expected = [_date_reference(v, with_time=with_time) for v in values]
        assert col.text == [text for text, _, _ in expected]
        assert col.errors == [(i, err) for i, (_, err, _) in enumerate(expected) if err]
        for i, (_, _, epoch) in enumerate(expected):
            if epoch is not None:
                assert col.epoch[i] == epoch


# --- triggers and indexes -----------------------------------------------------------


def _schema(conn):
    return sorted(
        tuple(r)
        for r in conn.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE type IN ('index', 'trigger')"
        )
    )


def _statements(conn):
    seen: list[str] = []
    conn.set_trace_callback(seen.append)
    return seen


def test_a_load_into_an_empty_table_rebuilds_the_plain_indexes_and_restores_the_schema(
    ready, tmp_path
):
    schema = _schema(ready)
    seen = _statements(ready)
    path = write_csv(tmp_path / "p.csv", PURCHASE_HEADER, PURCHASES)
    assert run_import(ready, "purchases", path).committed
    ready.set_trace_callback(None)
    dropped = [s for s in seen if s.startswith(("DROP INDEX", "DROP TRIGGER"))]
    assert 'DROP INDEX "purchase_lines_code_time"' in dropped
    assert 'DROP TRIGGER "purchase_lines_log_insert"' in dropped
    # The summaries' batch-skipping triggers (as migration 0012 wrote them) too.
    assert {'DROP TRIGGER "ps_lines_insert"', 'DROP TRIGGER "ps_lines_update"'} <= set(dropped)
    assert _schema(ready) == schema
    # The rebuilt index is used and holds every line.
    assert ready.execute(
        "SELECT count(*) FROM purchase_lines INDEXED BY purchase_lines_code_time WHERE code >= ''"
    ).fetchone()[0] == len(PURCHASES)
    assert ready.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_small_file_into_a_big_table_keeps_the_indexes(ready, tmp_path, monkeypatch):
    import pharmacy_app.importers.bulk as bulk

    rows = []
    for i in range(60):
        row = list(PURCHASES[0])
        row[0], row[1] = f"PO{i:04d}", "1"
        rows.append(row)
    assert run_import(ready, "purchases", write_csv(tmp_path / "a.csv", PURCHASE_HEADER, rows))
    schema = _schema(ready)
    extra = list(PURCHASES[1])
    extra[0] = "PO9999"
    seen = _statements(ready)
    result = run_import(ready, "purchases", write_csv(tmp_path / "b.csv", PURCHASE_HEADER, [extra]))
    ready.set_trace_callback(None)
    assert result.inserted == 1
    assert not [s for s in seen if s.startswith("DROP INDEX")]
    assert _schema(ready) == schema
    # A re-import that changes nothing keeps them too (decided after its first chunk).
    seen = _statements(ready)
    again = run_import(ready, "purchases", tmp_path / "a.csv")
    ready.set_trace_callback(None)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 60)
    assert not [s for s in seen if s.startswith("DROP INDEX")]
    assert bulk.REBUILD_SHARE > 0


def test_triggers_that_act_on_bulk_rows_are_never_suspended(ready, tmp_path):
    ready.executescript(
        """
        CREATE TABLE seen_lines (order_id TEXT, what TEXT);
        CREATE TRIGGER test_every_insert AFTER INSERT ON purchase_lines
        BEGIN INSERT INTO seen_lines VALUES (new.order_id, 'insert'); END;
        CREATE TRIGGER test_bulk_only AFTER INSERT ON purchase_lines
        WHEN new.batch_id IS NOT NULL
        BEGIN INSERT INTO seen_lines VALUES (new.order_id, 'bulk'); END;
        CREATE TRIGGER test_no_op_for_bulk AFTER INSERT ON purchase_lines
        WHEN  new.batch_id   IS NULL
        BEGIN INSERT INTO seen_lines VALUES (new.order_id, 'manual'); END;
        """
    )
    schema = _schema(ready)
    path = write_csv(tmp_path / "p.csv", PURCHASE_HEADER, PURCHASES)
    assert run_import(ready, "purchases", path).committed
    got = ready.execute("SELECT what, count(*) FROM seen_lines GROUP BY what ORDER BY what")
    assert [tuple(r) for r in got] == [("bulk", 3), ("insert", 3)]
    assert _schema(ready) == schema
    # The suspended one is back and fires for a manual insert.
    ready.execute(
        "INSERT INTO purchase_lines (order_id, line_no, institution_code, code, qty, "
        "amount_fen, ordered_at) VALUES ('M1', '1', ?, ?, 1, 100, '2026-03-01 08:00:00')",
        (INSTITUTION, D1),
    )
    assert ready.execute("SELECT count(*) FROM seen_lines WHERE what = 'manual'").fetchone()[0] == 1


def test_a_rejected_big_file_leaves_schema_and_tables_as_they_were(ready, tmp_path, monkeypatch):
    import pharmacy_app.importers.reading as reading

    monkeypatch.setattr(reading, "CHUNK_ROWS", 3)
    rows = []
    for i in range(20):
        row = list(PURCHASES[i % 3])
        row[0], row[1] = f"PO{i:04d}", "1"
        rows.append(row)
    rows[17][3] = D2[:-1]  # bad code in a late chunk: earlier chunks were written already
    schema = _schema(ready)
    logged = ready.execute("SELECT count(*) FROM change_log").fetchone()[0]
    result = run_import(ready, "purchases", write_csv(tmp_path / "p.csv", PURCHASE_HEADER, rows))
    assert not result.committed and [e.row for e in result.errors] == [19]
    assert ready.execute("SELECT count(*) FROM purchase_lines").fetchone()[0] == 0
    assert ready.execute("SELECT count(*) FROM import_batches").fetchone()[0] == 0
    assert ready.execute("SELECT count(*) FROM change_log").fetchone()[0] == logged
    assert _schema(ready) == schema
