"""The catalogue's tools as the simulator runs them: slug -> (function, input extensions).

JSON, YAML, XML and CSV conversions are real (``toolwork``); encodings and markup are in
``toolbox_text``, which also holds the documented stand-ins for tools too costly to do for real
(Excel, images, SQL dialects, JavaScript and CSS formatting).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

from jobmonitor.sim import toolbox_text
from jobmonitor.sim.toolwork import (
    Options,
    Output,
    Tool,
    ToolFailure,
    dump_json,
    dump_yaml,
    from_xml,
    html_table,
    parse_csv,
    parse_json,
    parse_xml,
    parse_yaml,
    table_of,
    text_of,
    to_xml,
    write_csv,
)

JSON_IN = ("json", "txt", "log")
XML_IN = ("xml", "txt", "log")
YAML_IN = ("yml", "yaml", "txt", "log")
CSV_IN = ("csv", "txt", "log")


@dataclass(frozen=True)
class SimTool:
    run: Tool
    inputs: tuple[str, ...]
    source_type_required: bool = False


# -- JSON -------------------------------------------------------------------------------------
def _json_formatter(data: bytes, o: Options) -> Output:
    return Output(dump_json(parse_json(data), o.int("x-tab-space", 1)), "json")


def _json_validator(data: bytes, o: Options) -> Output:
    value = parse_json(data)
    kind = type(value).__name__.replace("dict", "object").replace("list", "array")
    return Output(data, "json", f"Valid JSON ({kind})")


def _json_minify(data: bytes, o: Options) -> Output:
    value = parse_json(data)
    return Output(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode(), "json")


def _json_escape(data: bytes, o: Options) -> Output:
    return Output(json.dumps(text_of(data), ensure_ascii=False)[1:-1].encode(), "txt")


def _json_unescape(data: bytes, o: Options) -> Output:
    text = text_of(data).strip()
    quoted = text if text.startswith('"') else '"' + text + '"'
    value = parse_json(quoted.encode())
    if not isinstance(value, str):
        raise ToolFailure("INVALID_JSON", "the input is not an escaped JSON string")
    return Output(value.encode(), "json")


def _tabular(source: str, sep: str, ext: str) -> Tool:
    parse = {"json": parse_json, "yaml": parse_yaml}[source]

    def run(data: bytes, o: Options) -> Output:
        header, rows = table_of(parse(data), f"{source}-to-{ext}")
        return Output(write_csv(header, rows, sep), ext)

    return run


def _json_to_xml(data: bytes, o: Options) -> Output:
    return Output(to_xml(parse_json(data), o.name("x-root-name", "root")), "xml")


def _json_to_yaml(data: bytes, o: Options) -> Output:
    return Output(dump_yaml(parse_json(data)), "yaml")


def _json_to_html(data: bytes, o: Options) -> Output:
    header, rows = table_of(parse_json(data), "json-to-html")
    return Output(html_table(header, rows), "html")


# -- XML --------------------------------------------------------------------------------------
def _xml_validator(data: bytes, o: Options) -> Output:
    root = parse_xml(data)
    return Output(data, "xml", f"Valid XML (root element <{root.tag}>)")


def _xml_minify(data: bytes, o: Options) -> Output:
    from xml.etree import ElementTree as StdET

    root = parse_xml(data)
    for element in root.iter():
        element.text = element.text.strip() if element.text else element.text
        element.tail = element.tail.strip() if element.tail else element.tail
    return Output(StdET.tostring(root, encoding="utf-8"), "xml")


def _xml_rows(data: bytes) -> tuple[list[str], list[list[str]]]:
    root = parse_xml(data)
    items: list[Any] = []
    for child in root:
        value = from_xml(child)
        items.append(value if isinstance(value, dict) else {child.tag: value})
    return table_of(items, "xml-to-csv")


def _xml_to_csv(sep: str, ext: str) -> Tool:
    def run(data: bytes, o: Options) -> Output:
        return Output(write_csv(*_xml_rows(data), sep), ext)

    return run


def _xml_to_json(data: bytes, o: Options) -> Output:
    root = parse_xml(data)
    return Output(dump_json({root.tag: from_xml(root)}, o.int("x-tab-space", 2)), "json")


def _xml_to_yaml(data: bytes, o: Options) -> Output:
    root = parse_xml(data)
    return Output(dump_yaml({root.tag: from_xml(root)}, o.int("x-tab-space", 4, 2, 9)), "yaml")


# -- YAML -------------------------------------------------------------------------------------
def _yaml_formatter(data: bytes, o: Options) -> Output:
    return Output(dump_yaml(parse_yaml(data), o.int("x-tab-space", 2, 2, 9)), "yaml")


def _yaml_validator(data: bytes, o: Options) -> Output:
    o.int("x-tab-space", 4, 2, 9)
    value = parse_yaml(data)
    return Output(data, "yaml", f"Valid YAML ({type(value).__name__})")


def _yaml_to_xml(data: bytes, o: Options) -> Output:
    o.int("x-tab-space", 2)
    return Output(to_xml(parse_yaml(data), o.name("x-root-name", "root")), "xml")


# -- CSV --------------------------------------------------------------------------------------
def _records(header: list[str] | None, rows: list[list[str]]) -> list[Any]:
    return [dict(zip(header, r, strict=True)) for r in rows] if header is not None else rows


def _csv_to_json(data: bytes, o: Options) -> Output:
    return Output(dump_json(_records(*parse_csv(data, o)), o.int("x-tab-space", 2)), "json")


def _csv_to_xml(data: bytes, o: Options) -> Output:
    header, rows = parse_csv(data, o)
    root, row = o.name("x-root-name", "root"), o.name("x-row-name", "row")
    records = _records(header or [f"col{i + 1}" for i in range(len(rows[0]))], rows)
    return Output(to_xml({row: records}, root), "xml")


def _csv_to_yaml(data: bytes, o: Options) -> Output:
    return Output(dump_yaml(_records(*parse_csv(data, o))), "yaml")


def _csv_to_html(data: bytes, o: Options) -> Output:
    return Output(html_table(*parse_csv(data, o)), "html")


def _csv_trim(data: bytes, o: Options) -> Output:
    header, rows = parse_csv(data, o)
    strip = [[c.strip() for c in r] for r in rows]
    return Output(write_csv([h.strip() for h in header] if header else None, strip), "csv")


def _csv_dedupe(data: bytes, o: Options) -> Output:
    mode = o.choice("x-duplicate-handling", "first", ("first", "last", "none"))
    header, rows = parse_csv(data, o)
    counts = Counter(tuple(r) for r in rows)
    if mode == "none":  # drop every row that has a duplicate
        kept = [r for r in rows if counts[tuple(r)] == 1]
    else:
        order = rows if mode == "first" else list(reversed(rows))
        seen: set[tuple[str, ...]] = set()
        kept = []
        for r in order:
            if tuple(r) not in seen:
                seen.add(tuple(r))
                kept.append(r)
        kept = kept if mode == "first" else list(reversed(kept))
    return Output(write_csv(header, kept), "csv", f"{len(rows) - len(kept)} rows removed")


def _csv_view_dupes(data: bytes, o: Options) -> Output:
    header, rows = parse_csv(data, o)
    counts = Counter(tuple(r) for r in rows)
    dupes = [[*r, str(n)] for r, n in counts.items() if n > 1]
    return Output(write_csv([*(header or []), "count"] if header else None, dupes), "csv")


TOOLS: dict[str, SimTool] = {
    "json-formatter-api": SimTool(_json_formatter, JSON_IN),
    "json-validator-api": SimTool(_json_validator, JSON_IN),
    "json-minify-api": SimTool(_json_minify, JSON_IN),
    "json-escape-api": SimTool(_json_escape, JSON_IN),
    "json-unescape-api": SimTool(_json_unescape, JSON_IN),
    "json-to-csv-api": SimTool(_tabular("json", ",", "csv"), JSON_IN),
    "json-to-tsv-api": SimTool(_tabular("json", "\t", "tsv"), JSON_IN),
    "json-to-xml-api": SimTool(_json_to_xml, JSON_IN),
    "json-to-yaml-api": SimTool(_json_to_yaml, JSON_IN),
    "json-to-excel-api": SimTool(toolbox_text.to_excel_stand_in(parse_json), JSON_IN),
    "json-to-html-api": SimTool(_json_to_html, JSON_IN),
    "xml-validator-api": SimTool(_xml_validator, XML_IN),
    "xml-minify-api": SimTool(_xml_minify, XML_IN),
    "xml-to-json-api": SimTool(_xml_to_json, XML_IN),
    "xml-to-csv-api": SimTool(_xml_to_csv(",", "csv"), XML_IN),
    "xml-to-tsv-api": SimTool(_xml_to_csv("\t", "tsv"), XML_IN),
    "xml-to-yaml-api": SimTool(_xml_to_yaml, XML_IN),
    "xml-to-excel-api": SimTool(
        toolbox_text.to_excel_stand_in(lambda d: from_xml(parse_xml(d))), XML_IN
    ),
    "yaml-formatter-api": SimTool(_yaml_formatter, YAML_IN),
    "yaml-validator-api": SimTool(_yaml_validator, YAML_IN),
    "yaml-to-xml-api": SimTool(_yaml_to_xml, YAML_IN),
    "yaml-to-csv-api": SimTool(_tabular("yaml", ",", "csv"), YAML_IN),
    "yaml-to-tsv-api": SimTool(_tabular("yaml", "\t", "tsv"), YAML_IN),
    "csv-to-json-api": SimTool(_csv_to_json, CSV_IN),
    "csv-to-xml-api": SimTool(_csv_to_xml, CSV_IN),
    "csv-to-yaml-api": SimTool(_csv_to_yaml, CSV_IN),
    "csv-to-html-api": SimTool(_csv_to_html, CSV_IN),
    "csv-whitespace-trim-api": SimTool(_csv_trim, CSV_IN),
    "csv-remove-duplicates-api": SimTool(_csv_dedupe, CSV_IN),
    "csv-view-duplicates-api": SimTool(_csv_view_dupes, CSV_IN),
    **{
        slug: SimTool(run, inputs, required)
        for slug, (run, inputs, required) in toolbox_text.TEXT_TOOLS.items()
    },
}
