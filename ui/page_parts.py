"""What the pages share: the header row, column fitting and the reload-when-stale logic.

Why one module: the essential, agreements, suppliers, payments, assessment,
payment-standards, reported-volumes and tickets pages were written side by side
and each carried its own copy of the same header (title, institution, "As of"
date, policy profile) and of the same rules for when to recompute (the policy
page shares the latter, the reports page the title and date picker). Kept here,
the pages look and refresh alike, and a fix reaches all of them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from PySide6.QtCore import QDate
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ui.i18n import tr
from ui.worker import Changes, DbWorker


def title_label(text: str) -> QLabel:
    """A page title: the application font at 1.5×, bold."""
    label = QLabel(text)
    font = label.font()
    font.setPointSizeF(font.pointSizeF() * 1.5)
    font.setBold(True)
    label.setFont(font)
    return label


def as_of_edit(name: str = "asOf") -> QDateEdit:
    """The "As of" date picker (tests find it by its object name): a calendar
    popup, ISO display, today until the page shows its figures' day."""
    edit = QDateEdit()
    edit.setObjectName(name)
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    edit.setDate(QDate.currentDate())
    return edit


def page_layout(page: QWidget, spacing: int = 8) -> QVBoxLayout:
    """The page's outer layout, with the margins every page uses."""
    outer = QVBoxLayout(page)
    outer.setContentsMargins(16, 12, 16, 10)
    outer.setSpacing(spacing)
    return outer


def message_label() -> QLabel:
    """The hidden, wrapping `pageMessage` label a page explains a missing set-up in."""
    label = QLabel()
    label.setObjectName("pageMessage")
    label.setWordWrap(True)
    label.hide()
    return label


def fit_columns(view: QTableView, widest: int = 280) -> None:
    """Columns as wide as their contents plus a margin, but none wider than
    `widest`, so one long text does not push the rest off screen. The last
    column stretches, so it is left alone."""
    view.resizeColumnsToContents()
    header = view.horizontalHeader()
    for c in range(header.count() - 1):
        header.resizeSection(c, min(header.sectionSize(c) + 12, widest))


@dataclass(frozen=True)
class PageHeader:
    """The widgets of a header row, for the page to keep as its attributes."""

    layout: QHBoxLayout
    title: QLabel
    institution_label: QLabel | None
    date_edit: QDateEdit
    profile_label: QLabel | None


def page_header(
    title: str,
    *,
    institution: bool = True,
    profile: bool = True,
    controls: Sequence[QWidget] = (),
) -> PageHeader:
    """Title, [institution], stretch, `controls`, "As of" date, [profile label].

    `controls` are the page's own choices (a year basis, a report year, a
    filter), placed before the date; the caller connects the date's signal and
    adds anything that goes after the profile label to `layout`.
    """
    layout = QHBoxLayout()
    title_widget = title_label(title)
    layout.addWidget(title_widget)
    institution_label = QLabel() if institution else None
    if institution_label is not None:
        layout.addWidget(institution_label)
    layout.addStretch(1)
    for widget in controls:
        layout.addWidget(widget)
    layout.addWidget(QLabel(tr("As of")))
    date_edit = as_of_edit()
    layout.addWidget(date_edit)
    profile_label = QLabel() if profile else None
    if profile_label is not None:
        layout.addWidget(profile_label)
    return PageHeader(layout, title_widget, institution_label, date_edit, profile_label)


class WatchingPage(QWidget):
    """A page loaded on the worker that follows changes to the `watched` tables.

    The rules it keeps: a change to a watched table reloads a visible page and
    only marks a hidden one stale (it reloads when shown, so hidden pages cost
    nothing); a load asked for while one runs is not started twice but rerun
    when the first ends, so the page never shows data older than the database.
    The subclass implements `load()` with `_start_load()` / `_load_finished()`.
    """

    watched: tuple[str, ...] = ()
    # Starts loading the page's figures on the worker: every page defines it.
    # (An abstract base class is not available here — Shiboken's metaclass
    # conflicts with ABCMeta — so a page without it fails when constructed.)
    load: Callable[[], None]

    def __init__(self, worker: DbWorker, parent: QWidget | None = None) -> None:
        if not callable(getattr(type(self), "load", None)):
            raise TypeError(f"{type(self).__name__} must define load()")
        super().__init__(parent)
        self.worker = worker
        self._loading = False
        self._stale = True
        worker.data_changed.connect(self._on_data_changed)

    def _start_load(self) -> bool:
        """False while a load runs (it is marked stale, to rerun when it ends)."""
        if self._loading:
            self._stale = True
            return False
        self._loading = True
        self._stale = False
        return True

    def _load_finished(self) -> bool:
        """True when the result is current; False when the data changed meanwhile
        and a new load was started instead."""
        self._loading = False
        if self._stale:
            self.load()
            return False
        return True

    def _failed(self, exc: BaseException) -> None:
        self._loading = False
        from ui.errors import show_error

        show_error(exc, self.window())

    def _on_data_changed(self, changes: Changes) -> None:
        if not changes.touches(*self.watched):
            return
        if self.isVisible():
            self.load()
        else:
            self._stale = True

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        if self._stale:
            self.load()


class AsOfPage(WatchingPage):
    """A `WatchingPage` of figures computed as of a day the header shows.

    The day is the demo's own until the user picks one; setting it from loaded
    figures does not count as picking. No institution set up yet is said on the
    page, not in an error dialog. The subclass builds `date_edit` (connecting
    its `dateChanged` to `_date_changed`) and `message`.
    """

    date_edit: QDateEdit
    message: QLabel

    def __init__(self, worker: DbWorker, parent: QWidget | None = None) -> None:
        super().__init__(worker, parent)
        self._date_chosen = False
        self._setting_date = False

    def _add_header(
        self,
        layout: QVBoxLayout,
        title: str,
        *,
        institution: bool = True,
        profile: bool = True,
        controls: Sequence[QWidget] = (),
    ) -> PageHeader:
        """`page_header(...)` added to `layout`, its widgets kept as the page's
        `title`, `date_edit`, `institution_label` and `profile_label`, and the
        date wired to reload."""
        header = page_header(title, institution=institution, profile=profile,
                             controls=controls)
        self.title, self.date_edit = header.title, header.date_edit
        if header.institution_label is not None:
            self.institution_label = header.institution_label
        if header.profile_label is not None:
            self.profile_label = header.profile_label
        self.date_edit.dateChanged.connect(self._date_changed)
        layout.addLayout(header.layout)
        return header

    def as_of(self) -> dt.date:
        return self.date_edit.date().toPython()  # type: ignore[no-any-return]

    def forget_chosen_date(self) -> None:
        """Another database (leaving the demo): back to its default day on the next load."""
        self._date_chosen = False

    def chosen_as_of(self) -> dt.date | None:
        """The day the user picked, or None for the default (the demo's own day)."""
        return self.as_of() if self._date_chosen else None

    @contextmanager
    def _setting_choices(self) -> Iterator[None]:
        """Set the header's choices from loaded figures without that counting
        as the user choosing (which would reload). Nests: the outer one ends it."""
        previous, self._setting_date = self._setting_date, True
        try:
            yield
        finally:
            self._setting_date = previous

    def _set_as_of(self, day: dt.date) -> None:
        with self._setting_choices():
            self.date_edit.setDate(QDate(day.year, day.month, day.day))

    def _date_changed(self, *_args: object) -> None:
        """The user picked a day (or another of the header's choices, which
        count the same): from now on the figures are for the picked day."""
        if self._setting_date:
            return
        self._date_chosen = True
        self.load()

    def _failed(self, exc: BaseException) -> None:
        from pharmacy_app.indicators import NoInstitution

        if isinstance(exc, NoInstitution):
            self._loading = False
            self._show_no_institution(str(exc))
            return
        super()._failed(exc)

    def _show_no_institution(self, text: str) -> None:
        self.message.setText(text)
        self.message.show()
