"""The tool catalogue: one data file, loaded once, typed; options checked; unknown tools pass."""

from __future__ import annotations

import pytest

from jobmonitor.api.errors import InvalidInput
from jobmonitor.api.tools import load_catalogue, parse_catalogue
from jobmonitor.api.uploads import fit_file_name
from jobmonitor.sim.toolbox import TOOLS


def test_the_catalogue_is_the_providers_and_the_simulators() -> None:
    catalogue = load_catalogue()
    assert load_catalogue() is catalogue  # loaded once
    assert {t.slug for t in catalogue.tools} == set(TOOLS)
    assert len(catalogue.tools) == 60
    excel = catalogue.get("excel-to-json-api")
    assert excel is not None and excel.source_type_required and excel.binary
    assert excel.simulator and "stand-in" in excel.simulator
    assert catalogue.get("json-formatter-api").simulator is None  # type: ignore[union-attr]
    assert catalogue.families()[:4] == ["JSON", "XML", "YAML", "CSV"]


def test_options_are_checked_against_the_catalogue() -> None:
    tool = load_catalogue().resolve("csv-to-json-api")
    assert tool.headers({"tab-space": "4", "has-header": "no", "x-delimiter": ";"}) == {
        "x-tab-space": "4",
        "x-has-header": "false",
        "x-delimiter": ";",
    }
    assert tool.headers({}) == {}  # documented defaults are the server's
    for bad in ({"tab-space": "four"}, {"tab-space": "99"}, {"has-header": "maybe"}, {"nope": "1"}):
        with pytest.raises(InvalidInput) as caught:
            tool.headers(bad)
        assert caught.value.code == "INVALID_OPTION"
    dedupe = load_catalogue().resolve("csv-remove-duplicates-api")
    with pytest.raises(InvalidInput, match="first, last, none"):
        dedupe.headers({"duplicate-handling": "middle"})
    image = load_catalogue().resolve("image-converter-api")
    with pytest.raises(InvalidInput) as caught:
        image.headers({"source-format": "png"})
    assert caught.value.code == "MISSING_OPTION" and "destination-format" in caught.value.message


def test_an_unknown_tool_is_submittable_by_slug() -> None:
    tool = load_catalogue().resolve("brand-new-api")
    assert not tool.known and tool.accepts("anything.bin")
    assert tool.headers({"colour": "blue"}) == {"x-colour": "blue"}
    for bad in ({"api-key": "x"}, {"bad name": "x"}, {"ok": "line\nbreak"}):
        with pytest.raises(InvalidInput):
            tool.headers(bad)
    with pytest.raises(InvalidInput) as caught:
        load_catalogue().resolve("../jobs")
    assert caught.value.code == "UNKNOWN_TOOL"


def test_extensions_a_tool_does_not_take() -> None:
    tool = load_catalogue().resolve("json-to-csv-api")
    tool.check_input("data.JSON")
    with pytest.raises(InvalidInput) as caught:
        tool.check_input("data.csv")
    assert caught.value.code == "UNSUPPORTED_EXTENSION" and ".json" in caught.value.message


@pytest.mark.parametrize(
    ("original", "fitted"),
    [
        ("project_data.json", "project_data.json"),
        ("My Report (final).v2.JSON", "My_Report_final_v2.json"),
        ("Résumé.csv", "Resume.csv"),
        ("データ.yaml", "file.yaml"),
        ("/home/me/dir.with.dots/a b.txt", "a_b.txt"),
        ("x" * 300 + ".log", "x" * 100 + ".log"),
    ],
)
def test_file_names_are_made_to_fit_the_providers_rule(original: str, fitted: str) -> None:
    assert fit_file_name(original) == fitted


@pytest.mark.parametrize("original", ["archive.zip", "README", "notes.", ".bashrc"])
def test_extensions_the_upload_api_does_not_take(original: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        fit_file_name(original)
    assert caught.value.code == "UNSUPPORTED_EXTENSION"


def test_a_broken_catalogue_file_is_refused() -> None:
    entry = '[[tool]]\nslug = "a-api"\ntitle = "A"\n'
    with pytest.raises(ValueError, match="twice"):
        parse_catalogue(entry + entry)
    with pytest.raises(ValueError, match="unknown type"):
        parse_catalogue(entry + 'options = [{header = "x-a", type = "colour"}]\n')
