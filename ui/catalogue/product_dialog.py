"""Adding or editing one catalogue product.

The rules come from `pharmacy_app.catalogue.validate_product`, the same
function the importers and the command line use, so the dialog can never
accept a product an import would reject. Validation runs on every edit; each
error is shown under its field and OK stays disabled until there is none.
Saving goes through the worker (`save_products`); the catalogue table
refreshes itself from the worker's data-changed signal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from pharmacy_app.catalogue import (
    FieldError,
    Product,
    ProductInvalid,
    SaveCounts,
    normalise_code,
    normalise_product,
    save_products,
    validate_product,
)
from pharmacy_app.parsing import decimal_text, parse_decimal, to_halfwidth
from ui.i18n import N_
from ui.worker import DbWorker, OpContext

ERROR_STYLE = "color: #b3261e;"

# (field, English label) for the text fields, in form order.
TEXT_FIELDS = (
    ("code", N_("Code")),
    ("generic_name", N_("Generic name")),
    ("dosage_form", N_("Dosage form")),
    ("specification", N_("Specification")),
    ("package", N_("Package")),
    ("conversion", N_("Conversion")),
    ("manufacturer", N_("Manufacturer")),
    ("price", N_("Price (yuan per package)")),
    ("vbp_batch", N_("VBP batch")),
    ("udi", N_("UDI")),
)

FLAG_FIELDS = (
    ("is_essential", N_("Essential medicine")),
    ("is_vbp", N_("VBP selected")),
    ("consistency", N_("Passed consistency evaluation")),
    ("originator", N_("Originator")),
    ("negotiated", N_("Nationally negotiated")),
)


class ProductDialog(QDialog):
    """Edit `product`, or create a new one when it is None."""

    saved = Signal(str)  # the product's code, after the worker saved it

    def __init__(
        self,
        worker: DbWorker,
        product: Product | None,
        *,
        code_exists: Callable[[str], bool] = lambda code: False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.worker = worker
        self.original = product
        self._code_exists = code_exists
        self._saving = False
        self.setWindowTitle(self.tr("New product") if product is None else self.tr("Edit product"))
        self.setMinimumWidth(520)
        # A fixed code should look fixed, yet stay selectable for copying.
        self.setStyleSheet('QLineEdit[readOnly="true"] { background: palette(window); }')
        self.edits: dict[str, QLineEdit] = {}
        self.checks: dict[str, QCheckBox] = {}
        self.error_labels: dict[str, QLabel] = {}
        self._build()
        self._fill(product or Product(code="", generic_name=""))
        self.validate()

    # -- layout ------------------------------------------------------------------

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(2)
        grid.setColumnStretch(1, 1)
        row = 0

        self.kind = QComboBox()
        self.kind.addItem(self.tr("Drug"), "drug")
        self.kind.addItem(self.tr("Consumable"), "consumable")
        row = self._add_row(grid, row, "kind", self.tr("Kind"), self.kind)
        self.kind.currentIndexChanged.connect(self.validate)

        for field, label in TEXT_FIELDS:
            edit = QLineEdit()
            edit.setObjectName(f"field_{field}")
            edit.textChanged.connect(self.validate)
            self.edits[field] = edit
            row = self._add_row(grid, row, field, self.tr(label), edit)
        self.edits["code"].setMaxLength(40)
        self.edits["conversion"].setPlaceholderText(self.tr("Derived from the package when empty"))
        self.edits["price"].setPlaceholderText(self.tr("e.g. 12.50"))
        self.edits["udi"].setPlaceholderText(self.tr("Consumables only, where known"))

        flags = QGridLayout()
        for i, (field, label) in enumerate(FLAG_FIELDS):
            check = QCheckBox(self.tr(label))
            check.setObjectName(f"flag_{field}")
            check.toggled.connect(self.validate)
            self.checks[field] = check
            flags.addWidget(check, i // 3, i % 3)
        flags_box = QWidget()
        flags_box.setLayout(flags)
        flags.setContentsMargins(0, 4, 0, 0)
        row = self._add_row(grid, row, "is_vbp", self.tr("Marks"), flags_box)

        self.active = QCheckBox(self.tr("In use (active)"))
        self.active.toggled.connect(self.validate)
        row = self._add_row(grid, row, "active", self.tr("Status"), self.active)
        outer.addLayout(grid)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(self.tr("Save"))
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        self.general_error = QLabel()
        self.general_error.setStyleSheet(ERROR_STYLE)
        self.general_error.setWordWrap(True)
        self.general_error.hide()
        outer.addWidget(self.general_error)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(self.buttons)
        outer.addLayout(bottom)

    def _add_row(self, grid: QGridLayout, row: int, field: str, label: str, widget: QWidget) -> int:
        """The field's label and widget, and under the widget its error line."""
        caption = QLabel(label)
        caption.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        caption.setBuddy(widget)
        grid.addWidget(caption, row, 0)
        grid.addWidget(widget, row, 1)
        if field not in self.error_labels:
            error = QLabel()
            error.setObjectName(f"error_{field}")
            error.setStyleSheet(ERROR_STYLE)
            error.setWordWrap(True)
            error.hide()
            self.error_labels[field] = error
            grid.addWidget(error, row + 1, 1)
        return row + 2

    def _fill(self, p: Product) -> None:
        editing = self.original is not None
        self.kind.setCurrentIndex(max(0, self.kind.findData(p.kind)))
        values = {
            "code": p.code,
            "generic_name": p.generic_name,
            "dosage_form": p.dosage_form,
            "specification": p.specification,
            "package": p.package,
            "conversion": "" if p.conversion is None else str(p.conversion),
            "manufacturer": p.manufacturer,
            "price": "" if p.price is None else decimal_text(p.price),
            "vbp_batch": p.vbp_batch,
            "udi": p.udi or "",
        }
        for field, text in values.items():
            self.edits[field].setText(text)
        for field, check in self.checks.items():
            check.setChecked(bool(getattr(p, field)))
        self.active.setChecked(p.active)
        # The code is the product's identity: changing it would make another
        # product, so it is fixed once saved.
        self.edits["code"].setReadOnly(editing)
        if editing:
            self.edits["code"].setToolTip(
                self.tr("The code identifies the product and cannot change")
            )
        self.active.setEnabled(editing)

    # -- validation ----------------------------------------------------------------

    def product(self) -> tuple[Product | None, list[FieldError]]:
        """The product the form describes, normalised, and every error in it."""
        text = {field: edit.text() for field, edit in self.edits.items()}
        errors: list[FieldError] = []
        conversion: int | None = None
        raw = to_halfwidth(text["conversion"]).strip()
        if raw:
            try:
                conversion = int(raw)
            except ValueError:
                errors.append(FieldError("conversion", self.tr("Enter a whole number")))
        price: Decimal | None = None
        if text["price"].strip():
            try:
                price = parse_decimal(text["price"], what=self.tr("price"))
            except ValueError as exc:
                errors.append(FieldError("price", str(exc)))
        base = self.original or Product(code="", generic_name="")
        product = replace(
            base,
            code=text["code"],
            kind=self.kind.currentData(),
            generic_name=text["generic_name"],
            dosage_form=text["dosage_form"],
            specification=text["specification"],
            package=text["package"],
            conversion=conversion,
            manufacturer=text["manufacturer"],
            price=price,
            vbp_batch=text["vbp_batch"],
            udi=text["udi"] or None,
            active=self.active.isChecked() if self.original is not None else True,
            **{field: check.isChecked() for field, check in self.checks.items()},
        )
        product = normalise_product(product)
        parsed_fields = {e.field for e in errors}
        errors += [e for e in validate_product(product) if e.field not in parsed_fields]
        code_ok = not any(e.field == "code" for e in errors)
        if self.original is None and code_ok and self._code_exists(normalise_code(product.code)):
            errors.append(
                FieldError("code", self.tr("A product with this code is already in the catalogue"))
            )
        return (None if errors else product), errors

    def validate(self) -> bool:
        """Show each error under its field; enable Save only when there is none."""
        _product, errors = self.product()
        by_field: dict[str, list[str]] = {}
        for e in errors:
            by_field.setdefault(e.field if e.field in self.error_labels else "code", []).append(
                e.message
            )
        pristine = self.original is None and not any(e.text() for e in self.edits.values())
        for field, label in self.error_labels.items():
            messages = by_field.get(field, [])
            # A blank new form is not yet "wrong": keep it quiet until typed in.
            label.setText("；".join(messages))
            label.setVisible(bool(messages) and not pristine)
        self.ok_button.setEnabled(not errors and not self._saving)
        self.ok_button.setToolTip("\n".join(f"{e.label}：{e.message}" for e in errors))
        return not errors

    # -- saving --------------------------------------------------------------------

    def save(self) -> None:
        product, errors = self.product()
        if product is None or errors or self._saving:
            self.validate()
            return
        self._saving = True
        self.ok_button.setEnabled(False)
        self.general_error.hide()

        adding = self.original is None

        def write(ctx: OpContext) -> SaveCounts:
            return save_products(ctx.conn, [product], new=adding)

        self.worker.op(write).success(lambda _counts: self._saved(product.code)).failure(
            self._failed
        ).parent(self).run()

    def reject(self) -> None:
        """Not while saving: the answer must find the dialog to close it."""
        if not self._saving:
            super().reject()

    def _saved(self, code: str) -> None:
        self._saving = False
        self.saved.emit(code)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self._saving = False
        self.validate()
        if isinstance(exc, ProductInvalid):
            # Checked again by save_products on the worker (e.g. a rule the
            # form could not see): shown the same way, under the field.
            for e in exc.errors:
                label = self.error_labels.get(e.field, self.error_labels["code"])
                label.setText(e.message)
                label.show()
            return
        from ui.errors import environment_message, is_environment_error, show_error

        if is_environment_error(exc):
            self.general_error.setText(environment_message(exc))
            self.general_error.show()
        else:
            show_error(exc, self)
