"""File › New job: inputs, a tool list narrowed to the files' extensions, options and defaults."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from jobmonitor.ui.new_job_dialog import NewJobDialog, NewJobRequest, extension_of, split_urls
from jobmonitor.ui.tool_picker import SLUG_ROLE, ToolPicker


@dataclass(frozen=True)
class Opt:  # the fields of api.tools.ToolOption the picker reads
    header: str
    type: str = "text"
    default: object = None
    choices: Sequence[str] = ()
    required: bool = False
    help: str = ""


@dataclass(frozen=True)
class Tool:
    slug: str
    title: str
    inputs: Sequence[str]
    options: Sequence[Opt] = field(default_factory=tuple)


TOOLS = [
    Tool(
        "json-formatter-api",
        "JSON Formatter",
        ("json", "txt", "log"),
        (Opt("x-tab-space", "int", 1, help="spaces per indent level"),),
    ),
    Tool("json-to-xml-api", "JSON to XML", ("json", "txt", "log"), (Opt("x-root-name"),)),
    Tool("yaml-validator-api", "YAML Validator", ("yml", "yaml", "txt", "log")),
    Tool(
        "csv-remove-duplicates-api",
        "CSV Remove Duplicates",
        ("csv", "txt", "log"),
        (Opt("x-duplicate-handling", "choice", "first", ("first", "last", "none")),),
    ),
    Tool(
        "image-converter-api",
        "Image Converter",
        ("jpg", "png", "gif", "webp"),
        (
            Opt("x-source-format", "choice", None, ("jpg", "png"), required=True),
            Opt("x-destination-format", "choice", None, ("jpg", "png"), required=True),
        ),
    ),
]


def listed(picker: ToolPicker) -> list[str]:
    return [picker.proxy.index(r, 0).data(SLUG_ROLE) for r in range(picker.proxy.rowCount())]


@pytest.mark.parametrize(
    ("name", "ext"),
    [
        ("data.JSON", "json"),
        ("a.b.yaml", "yaml"),
        ("README", ""),
        ("https://x.org/f.csv?x=1", "csv"),
        ("https://x.org/", ""),
    ],
)
def test_extension_of(name: str, ext: str) -> None:
    assert extension_of(name) == ext


def test_split_urls_keeps_http_only() -> None:
    good, bad = split_urls(
        "https://a.org/x.json  ftp://b/c\nfile:///etc/passwd http://c.org/y.csv x"
    )
    assert good == ["https://a.org/x.json", "http://c.org/y.csv"]
    assert bad == ["ftp://b/c", "file:///etc/passwd", "x"]


def test_tools_are_narrowed_to_the_files_and_searchable(qtbot: QtBot, tmp_path: Path) -> None:
    dialog = NewJobDialog(TOOLS, files=[tmp_path / "orders.json", tmp_path / "notes.txt"])
    qtbot.addWidget(dialog)
    picker = dialog.picker
    assert listed(picker) == ["json-formatter-api", "json-to-xml-api"]  # both take .json and .txt
    qtbot.keyClicks(picker.search, "xml")
    assert listed(picker) == ["json-to-xml-api"]
    picker.search.clear()
    dialog.add_paths([tmp_path / "people.csv"])
    assert listed(picker) == [] and "No tool takes .csv, .json, .txt" in picker.empty.text()
    assert not dialog.submit_button.isEnabled()
    picker.everything.setChecked(True)
    assert len(listed(picker)) == len(TOOLS)


def test_options_show_defaults_and_only_changes_are_sent(qtbot: QtBot, tmp_path: Path) -> None:
    dialog = NewJobDialog(TOOLS, files=[tmp_path / "people.csv"])
    qtbot.addWidget(dialog)
    assert dialog.picker.slug() == "csv-remove-duplicates-api"
    editor = dialog.picker._editors["x-duplicate-handling"]
    assert editor.currentText() == "(default): first"  # type: ignore[attr-defined]
    assert dialog.picker.options() == {}
    editor.setCurrentIndex(editor.findData("last"))  # type: ignore[attr-defined]
    assert dialog.submit_button.isEnabled()
    assert dialog.request() == NewJobRequest(
        (tmp_path / "people.csv",),
        (),
        "csv-remove-duplicates-api",
        {"x-duplicate-handling": "last"},
    )


def test_a_required_option_without_default_holds_the_submit(qtbot: QtBot, tmp_path: Path) -> None:
    dialog = NewJobDialog(TOOLS, files=[tmp_path / "logo.png"])
    qtbot.addWidget(dialog)
    assert dialog.picker.slug() == "image-converter-api"
    assert not dialog.submit_button.isEnabled()
    assert "x-source-format, x-destination-format" in dialog.why_not.text()
    dialog.picker.set_options({"x-source-format": "png", "x-destination-format": "jpg"})
    assert dialog.submit_button.isEnabled()
    assert "1 job will be submitted to image-converter-api" in dialog.why_not.text()


def test_urls_pasted_and_files_chosen(qtbot: QtBot, tmp_path: Path) -> None:
    dialog = NewJobDialog(TOOLS)
    qtbot.addWidget(dialog)
    assert not dialog.submit_button.isEnabled() and "Add a file" in dialog.why_not.text()
    dialog.url.setText("https://example.org/a.json ftp://nope")
    dialog.url.returnPressed.emit()
    assert "Not an http(s) URL: ftp://nope" in dialog.url_problem.text()
    dialog.choose_files = lambda _parent: [str(tmp_path / "b.json")]
    dialog.add_files.click()
    dialog.picker.select("json-to-xml-api")
    dialog.picker.set_options({"x-root-name": "orders"})
    request = dialog.request()
    assert request == NewJobRequest(
        (tmp_path / "b.json",),
        ("https://example.org/a.json",),
        "json-to-xml-api",
        {"x-root-name": "orders"},
    )
    assert "2 jobs will be submitted" in dialog.why_not.text()
    dialog.inputs.item(0).setSelected(True)
    dialog.remove.click()
    assert dialog.inputs.count() == 1


def test_bool_defaults_and_help_as_the_catalogue_gives_them(qtbot: QtBot) -> None:
    tools = [
        Tool(
            "csv-to-json-api",
            "CSV to JSON",
            ("csv",),
            (Opt("x-has-header", "bool", True, help="first row names"),),
        )
    ]
    picker = ToolPicker(tools)
    qtbot.addWidget(picker)
    picker.set_extensions(["csv"])
    editor = picker._editors["x-has-header"]
    assert editor.currentText() == "(default): true"  # type: ignore[attr-defined]
    assert editor.toolTip() == "first row names" and editor.accessibleName() == "x-has-header"
    picker.set_options({"x-has-header": "false"})
    assert picker.options() == {"x-has-header": "false"}
