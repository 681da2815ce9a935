"""indicators.common.without_gc_pauses: the collector is paused inside, restored after."""

from __future__ import annotations

import gc

import pytest

from pharmacy_app.indicators.common import without_gc_pauses


@without_gc_pauses
def _inside(fail: bool = False) -> bool:
    if fail:
        raise ValueError("boom")
    return gc.isenabled()


def test_collector_paused_inside_and_restored_after_even_on_error():
    assert gc.isenabled()
    assert _inside() is False
    assert gc.isenabled()
    with pytest.raises(ValueError):
        _inside(fail=True)
    assert gc.isenabled()


def test_a_collector_already_off_stays_off():
    gc.disable()
    try:
        assert _inside() is False
        assert not gc.isenabled()
    finally:
        gc.enable()
