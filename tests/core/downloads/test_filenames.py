"""Safe download names: hostile headers and URLs, reserved names, suffixes, no overwrite."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from jobmonitor.core.downloads import partfile
from jobmonitor.core.downloads.filenames import (
    MAX_NAME_BYTES,
    available_name,
    choose_filename,
    inside,
    name_from_content_disposition,
    numbered,
    sanitize_filename,
)

URL = "https://downloads.example.com/files/tok/report.csv"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ('attachment; filename="../../x"', "x"),
        ("attachment; filename=../../../etc/passwd", "passwd"),
        ('attachment; filename="..\\\\..\\\\Windows\\\\evil.bat"', "evil.bat"),
        ('attachment; filename="/abs/path/data.json"', "data.json"),
        ('attachment; filename=".bashrc"', "bashrc"),
        ('attachment; filename=".."', "report.csv"),  # nothing usable: falls back to the URL
        ('attachment; filename="CON"', "_CON"),
        ('attachment; filename="nul.txt"', "_nul.txt"),
        ('attachment; filename="com1.tar.gz"', "_com1.tar.gz"),
        ('attachment; filename="a\\u202etxt.exe"', "au202etxt.exe"),  # a quoted-pair, not a char
        ('attachment; filename="a\u202etxt.exe"', "atxt.exe"),  # the real bidi override is dropped
        ('attachment; filename="tab\there.csv"', "tabhere.csv"),
        ('attachment; filename="what?<>|*.csv"', "what_____.csv"),
        ('attachment; filename="trailing. . ."', "trailing"),
        ("attachment; filename*=UTF-8''%E2%82%AC%20rates.csv; filename=\"x.csv\"", "€ rates.csv"),
        ("attachment; filename*=UTF-8''..%2F..%2Fx", "x"),
        ('inline; filename="a;b.csv"', "a;b.csv"),
        ("attachment", "report.csv"),
        ("", "report.csv"),
    ],
)
def test_content_disposition_is_made_safe(header: str, expected: str) -> None:
    assert choose_filename(URL, header) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://h/files/t/result.csv?sig=abc#frag", "result.csv"),
        ("https://h/files/t/..%2F..%2Fetc%2Fpasswd", "passwd"),
        ("https://h/files/t/%2e%2e", "result-job"),
        ("https://h/files/t/caf%C3%A9.txt", "café.txt"),
        ("https://h/", "result-job"),
        ("https://h", "result-job"),
        ("https://h/files/t/aux", "_aux"),
    ],
)
def test_url_path_is_made_safe(url: str, expected: str) -> None:
    assert choose_filename(url, None, fallback="result-job") == expected


def test_control_characters_and_newlines_never_survive() -> None:
    name = sanitize_filename("line1\nline2\r\x00\x1b[31mred\x7f.txt")
    assert name == "line1line2[31mred.txt"
    assert all(ord(ch) >= 32 and ord(ch) != 127 for ch in name)


def test_long_names_are_cut_but_keep_their_extension() -> None:
    name = sanitize_filename("é" * 400 + ".csv")
    assert name.endswith(".csv")
    assert len((numbered(name, 9999) + ".part.json").encode()) <= MAX_NAME_BYTES


def test_content_disposition_parsing() -> None:
    assert name_from_content_disposition('attachment; filename="a \\"q\\".txt"') == 'a "q".txt'
    assert name_from_content_disposition("attachment; FILENAME=plain.bin") == "plain.bin"
    assert (
        name_from_content_disposition("attachment; filename*=iso-8859-1''%E9t%E9.txt") == "été.txt"
    )
    assert name_from_content_disposition("attachment; filename*=bogus") is None
    assert name_from_content_disposition(None) is None


def test_numbered_keeps_compound_extensions() -> None:
    assert numbered("report.csv", 1) == "report (1).csv"
    assert numbered("archive.tar.gz", 2) == "archive (2).tar.gz"
    assert numbered("README", 3) == "README (3)"
    assert numbered("report.csv", 0) == "report.csv"


def test_available_name_skips_files_parts_and_dangling_symlinks(tmp_path: Path) -> None:
    (tmp_path / "report.csv").write_text("mine")
    (tmp_path / "report (1).csv.part").write_text("another download")
    os.symlink(tmp_path / "nowhere", tmp_path / "report (2).csv")
    assert available_name(tmp_path, "report.csv") == "report (3).csv"


def test_inside_refuses_escapes(tmp_path: Path) -> None:
    assert inside(tmp_path, "ok.txt") == tmp_path.resolve() / "ok.txt"
    for bad in ("../x", "..", ".", "", "a/b", "/etc/passwd"):
        with pytest.raises(ValueError):
            inside(tmp_path, bad)


def test_publish_never_overwrites_a_file_that_appeared_meanwhile(tmp_path: Path) -> None:
    name, part = partfile.reserve_part(tmp_path, "out.bin", partfile.open_part_file)
    part.write(b"new bytes")
    part.sync()
    part.close()
    (tmp_path / "out.bin").write_bytes(b"the user's own file")  # appears before the rename
    final = partfile.publish(tmp_path, name)
    assert final.name == "out (1).bin"
    assert final.read_bytes() == b"new bytes"
    assert (tmp_path / "out.bin").read_bytes() == b"the user's own file"
    assert not (tmp_path / "out.bin.part").exists()


def test_part_file_refuses_to_write_through_a_symlink(tmp_path: Path) -> None:
    target = tmp_path / "victim.txt"
    target.write_text("keep me")
    os.symlink(target, tmp_path / "x.bin.part")
    with pytest.raises(OSError):
        partfile.open_part_file(tmp_path / "x.bin.part", create=False, offset=0)
    assert target.read_text() == "keep me"


def test_resume_record_round_trip_and_lookup(tmp_path: Path) -> None:
    meta = partfile.PartMeta("job-1", "a.bin", '"etag"', None, 10)
    partfile.part_path(tmp_path, "a.bin").write_bytes(b"12345")
    partfile.save_meta(tmp_path, meta)
    (tmp_path / "junk.part.json").write_text("{not json")
    assert partfile.find_meta(tmp_path, "job-1") == meta
    assert partfile.find_meta(tmp_path, "job-2") is None
    partfile.part_path(tmp_path, "a.bin").unlink()  # a record without its .part is no resume
    assert partfile.find_meta(tmp_path, "job-1") is None
