"""A searchable list of tools, narrowed to the ones that take every chosen input's extension,
and a form of the chosen tool's options with their documented defaults.

It reads the catalogue through the two small protocols below (what any catalogue entry has), so
it is tested with plain objects and needs no network. An option left at its default is not sent:
the provider applies its documented default, and what was submitted says only what was chosen.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from PySide6.QtCore import QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListView,
    QVBoxLayout,
    QWidget,
)

SLUG_ROLE = Qt.ItemDataRole.UserRole + 1
DEFAULT = "(default)"


class ToolOptionLike(Protocol):
    """What the picker reads of a catalogue option (``api.tools.ToolOption`` is one)."""

    @property
    def header(self) -> str: ...
    @property
    def type(self) -> str: ...  # "int", "bool", "choice", "text", "name"
    @property
    def default(self) -> object: ...  # None: no documented default
    @property
    def choices(self) -> Sequence[str]: ...
    @property
    def required(self) -> bool: ...
    @property
    def help(self) -> str: ...


class ToolLike(Protocol):
    """What the picker reads of a catalogue tool (``api.tools.Tool`` is one)."""

    @property
    def slug(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def inputs(self) -> Sequence[str]: ...  # extensions without the dot, lower case; () any
    @property
    def options(self) -> Sequence[ToolOptionLike]: ...


def takes_all(tool: ToolLike, extensions: Iterable[str]) -> bool:
    wanted = {e.lower() for e in extensions if e}
    return not wanted or not tool.inputs or wanted <= {e.lower() for e in tool.inputs}


def default_text(value: object) -> str | None:
    """A documented default as the header would carry it (``True`` -> ``true``)."""
    if value is None:
        return None
    return str(value).lower() if isinstance(value, bool) else str(value)


class _Filter(QSortFilterProxyModel):
    def __init__(self) -> None:
        super().__init__()
        self.extensions: set[str] = set()
        self.everything = False
        self.tools: dict[str, ToolLike] = {}
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)

    def filterAcceptsRow(self, row: int, parent: object) -> bool:
        index = self.sourceModel().index(row, 0)
        tool = self.tools.get(index.data(SLUG_ROLE))
        if tool is None or not (self.everything or takes_all(tool, self.extensions)):
            return False
        needle = self.filterRegularExpression().pattern().lower()
        return needle in f"{tool.slug} {tool.title}".lower()


class ToolPicker(QWidget):
    """``tool_changed(slug or '')`` when the choice changes; ``options()`` what the user set."""

    tool_changed = Signal(str)
    options_changed = Signal()

    def __init__(self, tools: Sequence[ToolLike], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tools = {t.slug: t for t in tools}
        self._editors: dict[str, QWidget] = {}
        self._current: str | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search tools (name or slug)")
        self.search.setAccessibleName("Search tools")
        self.search.setClearButtonEnabled(True)
        self.everything = QCheckBox("Show tools that do not take these files")
        model = QStandardItemModel(self)
        for tool in sorted(tools, key=lambda t: t.title.lower()):
            item = QStandardItem(f"{tool.title}  ({tool.slug})")
            item.setData(tool.slug, SLUG_ROLE)
            item.setToolTip("Takes ." + ", .".join(tool.inputs) if tool.inputs else tool.slug)
            item.setEditable(False)
            model.appendRow(item)
        self.proxy = _Filter()
        self.proxy.tools = self._tools
        self.proxy.setSourceModel(model)
        self.list = QListView()
        self.list.setModel(self.proxy)
        self.list.setAccessibleName("Tools")
        self.list.setMinimumHeight(160)
        self.empty = QLabel()
        self.empty.setWordWrap(True)
        self.empty.hide()
        self.options_box = QWidget()
        self.form = QFormLayout(self.options_box)
        self.form.setContentsMargins(0, 0, 0, 0)
        for part in (self.search, self.everything, self.list, self.empty, self.options_box):
            layout.addWidget(part)
        self.search.textChanged.connect(self._refilter)
        self.everything.toggled.connect(self._refilter)
        self.list.selectionModel().currentChanged.connect(lambda *_: self._chosen())

    # -- choosing ----------------------------------------------------------------------------

    def set_extensions(self, extensions: Iterable[str]) -> None:
        """Only tools that take every one of these extensions are listed (unless asked)."""
        self.proxy.extensions = {e.lower() for e in extensions if e}
        self._refilter()

    def _refilter(self) -> None:
        # Qt 6.10 deprecates invalidateFilter() for this pair; older Qt has only the former.
        begin = getattr(self.proxy, "beginFilterChange", None)
        if begin is not None:
            begin()
        self.proxy.everything = self.everything.isChecked()
        self.proxy.setFilterFixedString(self.search.text().strip())
        if begin is not None:
            self.proxy.endFilterChange()
        else:
            self.proxy.invalidateFilter()
        shown = self.proxy.rowCount()
        exts = ", ".join(f".{e}" for e in sorted(self.proxy.extensions))
        self.empty.setText(
            f"No tool takes {exts}: tick the box to see every tool." if exts else "No tool matches."
        )
        self.empty.setVisible(shown == 0)
        if shown and not self.list.currentIndex().isValid():
            self.list.setCurrentIndex(self.proxy.index(0, 0))
        self._chosen()

    def select(self, slug: str) -> bool:
        for row in range(self.proxy.rowCount()):
            index = self.proxy.index(row, 0)
            if index.data(SLUG_ROLE) == slug:
                self.list.setCurrentIndex(index)
                return True
        return False

    def slug(self) -> str | None:
        index = self.list.currentIndex()
        return index.data(SLUG_ROLE) if index.isValid() else None

    def _chosen(self) -> None:
        slug = self.slug()
        if slug == self._current:
            return
        self._current = slug
        while self.form.rowCount():
            self.form.removeRow(0)
        self._editors.clear()
        tool = self._tools.get(slug or "")
        for option in tool.options if tool else ():
            editor = _editor(option)
            if isinstance(editor, QComboBox):
                editor.currentIndexChanged.connect(self.options_changed)
            elif isinstance(editor, QLineEdit):
                editor.textChanged.connect(self.options_changed)
            self._editors[option.header] = editor
            self.form.addRow(f"{option.header}:", editor)
        self.options_box.setVisible(bool(self._editors))
        self.tool_changed.emit(slug or "")

    # -- options -----------------------------------------------------------------------------

    def options(self) -> dict[str, str]:
        """The headers the user set (left at the default: not sent)."""
        out: dict[str, str] = {}
        for header, editor in self._editors.items():
            if isinstance(editor, QComboBox):
                value = editor.currentData()
            elif isinstance(editor, QLineEdit):
                value = editor.text().strip() or None
            else:
                value = None
            if value:
                out[header] = str(value)
        return out

    def set_options(self, options: dict[str, str]) -> None:
        for header, value in options.items():
            editor = self._editors.get(header)
            if isinstance(editor, QComboBox):
                found = editor.findData(value)
                if found < 0:
                    editor.addItem(value, value)
                    found = editor.count() - 1
                editor.setCurrentIndex(found)
            elif isinstance(editor, QLineEdit):
                editor.setText(value)

    def missing(self) -> list[str]:
        """Required options with no default that are still empty."""
        tool = self._tools.get(self.slug() or "")
        chosen = self.options()
        return [
            o.header
            for o in (tool.options if tool else ())
            if o.required and default_text(o.default) is None and o.header not in chosen
        ]


def _editor(option: ToolOptionLike) -> QWidget:
    default = default_text(option.default)
    editor: QWidget
    if option.type in ("bool", "choice") or option.choices:
        box = QComboBox()
        values = list(option.choices) or ["true", "false"]
        if default is not None:
            box.addItem(f"{DEFAULT}: {default}", None)
        elif option.required:
            box.addItem("(choose)", None)
        else:
            box.addItem(DEFAULT, None)
        for value in values:
            box.addItem(value, value)
        editor = box
    else:
        edit = QLineEdit()
        edit.setPlaceholderText(f"{DEFAULT}: {default}" if default is not None else DEFAULT)
        editor = edit
    editor.setAccessibleName(option.header)
    if option.help:
        editor.setToolTip(option.help)
        editor.setAccessibleDescription(option.help)
    return editor
