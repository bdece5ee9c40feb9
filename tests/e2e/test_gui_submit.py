"""Submitting from the window against the simulator over real sockets (API on 127.0.0.1, storage
on 127.0.0.2): good and broken JSON, YAML, XML and CSV, and each broken one shown in its input
with the caret under the character the simulator's real parser named."""
# ruff: noqa: F811  (the fixtures come from guihelpers by import, not from a conftest)

from __future__ import annotations

import json
import xml.parsers.expat
from collections.abc import Callable
from pathlib import Path

import yaml
from guihelpers import KEY, AppFactory, make_app, qloop, sim, world  # noqa: F401
from pytestqt.qtbot import QtBot
from submithelpers import fast, job_for, submit, wait_for_input  # noqa: F401

from jobmonitor.core.state import JobState
from jobmonitor.sim.world import SimWorld


def _text(data: bytes) -> str:
    for bom, codec in (
        (b"\xff\xfe", "utf-16"),
        (b"\xfe\xff", "utf-16"),
        (b"\xef\xbb\xbf", "utf-8-sig"),
    ):
        if data.startswith(bom):
            return data.decode(codec)
    return data.decode("utf-8")


def json_named(data: bytes) -> str:
    try:
        json.loads(_text(data))
    except json.JSONDecodeError as exc:
        return exc.doc[exc.pos]
    raise AssertionError("valid JSON")


def yaml_named(data: bytes) -> str:
    text = _text(data)
    try:
        yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        assert exc.problem_mark is not None
        return text[exc.problem_mark.index]
    raise AssertionError("valid YAML")


def xml_named(data: bytes) -> str:
    parser = xml.parsers.expat.ParserCreate()
    try:
        parser.Parse(data, True)
    except xml.parsers.expat.ExpatError:
        codec = "utf-16-le" if data.startswith(b"\xff\xfe") else "utf-8"
        return data[parser.CurrentByteIndex :].decode(codec, "replace")[0]
    raise AssertionError("valid XML")


BROKEN: dict[str, tuple[str, bytes, Callable[[bytes], str]]] = {
    "tabs-crlf.json": ("json-validator-api", b'{\r\n\t"a": 1,\r\n\t"b":\t\tx\r\n}\r\n', json_named),
    "bom.json": ("json-validator-api", b'\xef\xbb\xbf{\n  "a": [1, 2,]\n}\n', json_named),
    "utf16.json": (
        "json-validator-api",
        '{\n\t"é": 1,\n\t"日本": x}\n'.encode("utf-16"),
        json_named,
    ),
    "long.json": ("json-validator-api", b'{"k": "' + b"v" * 10_000 + b'", "z": x}', json_named),
    "tab.yaml": ("yaml-validator-api", b"name: demo\r\nitems:\r\n\t- one\r\n", yaml_named),
    "mismatch.xml": ("xml-to-json-api", "<a>\r\n\t<b>é</c>\r\n</a>\r\n".encode(), xml_named),
    "utf16.xml": ("xml-to-json-api", "<a>\n\t<b>日本</c>\n</a>".encode("utf-16"), xml_named),
}
GOOD = {
    "good.json": ("json-validator-api", b'{"a": [1, 2]}'),
    "good.yaml": ("yaml-validator-api", b"a: 1\nb: [2, 3]\n"),
    "good.xml": ("xml-to-json-api", b"<a><b>1</b></a>"),
    "good.csv": ("csv-to-json-api", b"id,name\r\n1,ann\r\n2,bo\r\n"),
}
RAGGED = b"id,name\r\n1,ann\r\n2\r\n3,cy\r\n"  # the csv module names line 3, no column


def test_good_and_broken_inputs_submitted_from_the_window(
    qtbot: QtBot, make_app: AppFactory, fast: SimWorld, tmp_path: Path
) -> None:
    app = make_app()
    qtbot.waitUntil(lambda: app.session is not None and app.session.api_key == KEY, timeout=10000)
    files: dict[str, Path] = {}
    for name, (_tool, data, *_rest) in {**BROKEN, **GOOD}.items():
        files[name] = tmp_path / name
        files[name].write_bytes(data)
    files["ragged.csv"] = tmp_path / "ragged.csv"
    files["ragged.csv"].write_bytes(RAGGED)
    by_tool: dict[str, list[Path]] = {"csv-to-json-api": [files["ragged.csv"]]}
    for name, (tool, *_rest) in {**BROKEN, **GOOD}.items():
        by_tool.setdefault(tool, []).append(files[name])
    for tool, paths in by_tool.items():
        submit(qtbot, app, paths, tool)

    def settled() -> bool:
        ids = [job_for(app, name) for name in files]
        return all(
            i is not None and app.watchlist.get(i).state.terminal  # type: ignore[union-attr]
            for i in ids
        )

    qtbot.waitUntil(settled, timeout=30000)
    for name in GOOD:
        job = app.watchlist.get(job_for(app, name) or "")
        assert job is not None and job.state is JobState.SUCCESS, (name, job)
    record = app.inputs.inputs[job_for(app, "good.csv") or ""]
    assert record.path == files["good.csv"] and record.tool == "csv-to-json-api"
    assert record.size == len(GOOD["good.csv"][1]) and record.sha256 and not record.attached

    for name, (_tool, data, named) in BROKEN.items():
        job_id = job_for(app, name)
        assert job_id is not None
        assert app.watchlist.get(job_id).state is JobState.FAILED  # type: ignore[union-attr]
        section = wait_for_input(qtbot, app, job_id, files[name])
        view = section.view
        cursor = view.caret_cursor()
        assert cursor is not None, name
        excerpt = section.look.excerpt  # type: ignore[union-attr]
        assert excerpt is not None and excerpt.problem is None, name
        assert excerpt.character == named(data), name  # the very character the parser named
        shown = view.document().characterAt(cursor.position())
        assert shown == (" " if named(data) == "\t" else named(data)), name  # a tab shows as spaces

    ragged = job_for(app, "ragged.csv") or ""
    section = wait_for_input(qtbot, app, ragged, files["ragged.csv"])
    failing = section.look.excerpt.failing  # type: ignore[union-attr]
    assert failing is not None and failing.text == "2" and section.view.caret_block is None
