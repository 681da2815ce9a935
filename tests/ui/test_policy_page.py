"""The 政策参数 page on a real temporary database: profiles and name mappings."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt

from pharmacy_app.essential_match import list_mappings
from pharmacy_app.policy import active_profile, get_profile
from ui.main_window import MainWindow
from ui.policy.page import ERROR_COLOUR, ParamsModel, PolicyPage


@pytest.fixture
def window(qtbot, worker, catalogue_db, wait_idle) -> MainWindow:
    win = MainWindow(worker)
    qtbot.addWidget(win)
    win.show()
    win.load()
    wait_idle(worker)
    return win


@pytest.fixture
def page(window, worker, wait_idle) -> PolicyPage:
    window.show_page("policy")
    wait_idle(worker)
    assert window.policy.state is not None
    return window.policy


def set_value(page: PolicyPage, key: str, text: str) -> None:
    model = page.params_model
    index = model.index(model.row_of(key), ParamsModel.VALUE)
    assert model.setData(index, text, Qt.ItemDataRole.EditRole)


def test_shows_the_active_profile_and_every_parameter(page):
    from pharmacy_app.policy import PARAMS

    assert "national@1" in page.active_label.text()
    model = page.params_model
    assert model.rowCount() == len(PARAMS)
    row = model.row_of("ed_grassroots_target")
    assert model.index(row, 0).data() == "基层机构基药品规占比目标"
    assert model.index(row, 1).data() == "ED-1"
    assert model.index(row, 2).data() == "0.85"
    assert model.index(row, 3).data() == "0.85"
    assert not page.activate_button.isEnabled()  # already active


def test_params_model_passes_qtmodeltester(qtmodeltester, page):
    qtmodeltester.check(page.params_model, force_py=True)
    qtmodeltester.check(page.mappings_model, force_py=True)
    qtmodeltester.check(page.suggestions_model, force_py=True)


def test_empty_params_model_passes_qtmodeltester(qtmodeltester):
    qtmodeltester.check(ParamsModel(), force_py=True)


def test_ed1_target_out_of_range_is_refused_with_the_domain_message(page):
    """ED-1: a share above 1 is refused by validate_params; the row is marked."""
    set_value(page, "ed_grassroots_target", "1.5")
    assert "不能大于" in page.validation_label.text()
    assert "ed_grassroots_target" in page.validation_label.text()
    assert not page.save_button.isEnabled()
    model = page.params_model
    index = model.index(model.row_of("ed_grassroots_target"), ParamsModel.VALUE)
    assert index.data(Qt.ItemDataRole.BackgroundRole).color() == ERROR_COLOUR
    set_value(page, "ed_grassroots_target", "abc")
    assert "必须是数字" in page.validation_label.text()
    set_value(page, "ed_grassroots_target", "0.9")
    assert page.save_button.isEnabled()
    assert index.data(Qt.ItemDataRole.BackgroundRole).color() != ERROR_COLOUR


def test_cross_field_rule_is_reported(page):
    set_value(page, "sh_red_days", "40")
    assert "红 ≤ 橙 ≤ 黄" in page.validation_label.text()
    assert not page.save_button.isEnabled()


def test_ed1_save_as_new_version_then_activate(page, window, worker, wait_idle, catalogue_db):
    """ED-1: a new profile with a 90% target, saved as a version and made active,
    changes the dashboard's target without a restart."""
    set_value(page, "ed_grassroots_target", "0.9")
    page.id_edit.setText("hainan")
    page.name_edit.setText("海南省基层口径")
    page.region_edit.setText("海南")
    page.save_button.click()
    wait_idle(worker)
    assert page.message.text() == "Saved as hainan@1."
    stored = get_profile(catalogue_db, "hainan")
    assert stored.version == 1 and stored["ed_grassroots_target"] == pytest.approx(0.9)
    assert page.profile_combo.currentData() == "hainan"
    assert page.activate_button.isEnabled()
    # A second save with another value makes version 2; version 1 stays.
    set_value(page, "ed_grassroots_target", "0.95")
    page.save_button.click()
    wait_idle(worker)
    assert get_profile(catalogue_db, "hainan").version == 2
    assert get_profile(catalogue_db, "hainan", 1)["ed_grassroots_target"] == pytest.approx(0.9)
    page.activate_button.click()
    wait_idle(worker)
    assert active_profile(catalogue_db).label == "hainan@2"
    assert "hainan@2" in page.active_label.text()
    window.show_page("essential")
    wait_idle(worker)
    figures = window.essential.loaded.figures
    assert figures.profile == "hainan@2"
    assert float(figures.target) == pytest.approx(0.95)
    assert window.essential.gauge.target == pytest.approx(0.95)


def test_save_without_an_id_shows_the_profile_error(page, worker, wait_idle):
    page.id_edit.setText("")
    page.name_edit.setText("x")
    page.save_button.click()
    wait_idle(worker)
    assert "方案编号不能为空" in page.message.text()


def test_export_and_import_a_profile_file(page, worker, wait_idle, tmp_path, catalogue_db):
    path = tmp_path / "national.json"
    page.export_to(path)
    wait_idle(worker)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["profile_id"] == "national"
    data.update(profile_id="guangdong", name="广东口径")
    data["params"]["ed_secondary_target"] = 0.6
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    page.import_from(path)
    wait_idle(worker)
    assert page.message.text() == "Imported as guangdong@1."
    assert get_profile(catalogue_db, "guangdong")["ed_secondary_target"] == pytest.approx(0.6)
    bad = tmp_path / "bad.json"
    bad.write_text("{}", encoding="utf-8")
    page.import_from(bad)
    wait_idle(worker)
    assert "不是药事台政策参数文件" in page.message.text()


def test_ed2_confirm_and_remove_a_salt_mapping(page, worker, wait_idle, catalogue_db):
    """ED-2: a suggested salt-name mapping is stored only when confirmed."""
    assert page.suggestions_model.rowCount() > 0
    assert page.mappings_model.rowCount() == 0
    suggestion = page.suggestions_model.row_at(0)
    page.suggestions_view.selectRow(0)
    page.confirm_button.click()
    wait_idle(worker)
    stored = {m.catalogue_name: m.list_name for m in list_mappings(catalogue_db)}
    assert stored == {suggestion.catalogue_name: suggestion.list_name}
    assert page.mappings_model.rowCount() == 1
    names = [
        page.suggestions_model.row_at(r).catalogue_name
        for r in range(page.suggestions_model.rowCount())
    ]
    assert suggestion.catalogue_name not in names
    page.mappings_view.selectRow(0)
    page.remove_button.click()
    wait_idle(worker)
    assert list_mappings(catalogue_db) == []
    assert page.mappings_model.rowCount() == 0
