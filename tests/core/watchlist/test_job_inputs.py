"""What each job was given, in the watch-list database: round trip, and the version 1 migration."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from jobmonitor.core.watchlist.db import SCHEMA_VERSION, JobStore
from jobmonitor.core.watchlist.input_check import InputFingerprint, fingerprint
from jobmonitor.core.watchlist.job_inputs import JobInput
from jobmonitor.core.watchlist.records import WatchedJob

ID1 = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
ID2 = "job-12345-abcde"

# The schema as version 1 wrote it (copied, not imported: the migration is from what is on disks).
V1_SCHEMA = """
CREATE TABLE jobs (job_id TEXT PRIMARY KEY, position INTEGER NOT NULL, label TEXT NOT NULL DEFAULT '',
    added_at REAL NOT NULL, state TEXT NOT NULL, snapshot TEXT, error_body TEXT, error_code TEXT,
    http_status INTEGER, last_checked REAL, created_at REAL, updated_at REAL);
CREATE TABLE history (job_id TEXT NOT NULL, state TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX history_job ON history(job_id, at);
CREATE TABLE saved_files (job_id TEXT PRIMARY KEY, path TEXT NOT NULL, size INTEGER,
    saved_at REAL NOT NULL);
INSERT INTO jobs (job_id, position, label, added_at, state) VALUES
    ('a1b2c3d4-e5f6-7890-abcd-ef1234567890', 0, 'kept', 1000.0, 'failed');
INSERT INTO history VALUES ('a1b2c3d4-e5f6-7890-abcd-ef1234567890', 'failed', 1001.0);
INSERT INTO saved_files VALUES ('a1b2c3d4-e5f6-7890-abcd-ef1234567890', '/tmp/r.csv', 3, 1002.0);
PRAGMA user_version=1;
"""


def test_a_version_1_file_gains_the_table_and_keeps_everything(tmp_path: Path) -> None:
    path = tmp_path / "jobs.db"
    conn = sqlite3.connect(path)
    conn.executescript(V1_SCHEMA)
    conn.close()

    store = JobStore(path)
    assert store.notice is None  # migrated, not set aside
    assert [(j.job_id, j.label) for j in store.load_jobs()] == [(ID1, "kept")]
    assert len(store.load_history()[ID1]) == 1
    assert store.load_saved()[ID1].size == 3
    assert store.load_inputs() == {}
    store.record_input(JobInput(ID1, path=tmp_path / "in.json", attached=True))
    store.close()

    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 2
    conn.close()
    again = JobStore(path)
    assert again.load_inputs()[ID1] == JobInput(ID1, path=tmp_path / "in.json", attached=True)
    again.close()


def test_round_trip_of_a_submission_and_its_resubmission(tmp_path: Path) -> None:
    source = tmp_path / "orders.json"
    source.write_bytes(b'{"a": 1}')
    fp = fingerprint(source)
    first = JobInput(
        ID1,
        path=source,
        size=fp.size,
        mtime=fp.mtime,
        sha256=fp.sha256,
        tool="json-to-csv-api",
        options={"x-tab-space": "2", "x-root-name": "naïve"},
        submitted_at=1000.0,
    )
    second = JobInput(ID2, path=source, tool="json-to-csv-api", previous_job=ID1)
    store = JobStore(tmp_path / "jobs.db")
    store.record_input(first)
    store.record_input(second)
    store.add_jobs([WatchedJob(ID1, 0, 1000.0)])
    store.remove([ID1])  # the record outlives the job, like a saved file
    store.close()

    loaded = JobStore(tmp_path / "jobs.db").load_inputs()
    assert loaded[ID1] == first and loaded[ID1].options == first.options
    assert loaded[ID1].fingerprint == InputFingerprint(fp.size, fp.mtime, fp.sha256)
    assert loaded[ID1].submitted_here
    assert loaded[ID2].previous_job == ID1 and loaded[ID2].fingerprint is None


def test_garbled_options_read_as_none(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "jobs.db")
    store.record_input(JobInput(ID1, tool="t"))
    store._conn.execute("UPDATE job_inputs SET options = '[1, 2'")
    assert store.load_inputs()[ID1].options == {}
    store._conn.execute("UPDATE job_inputs SET options = '[1, 2]'")
    assert store.load_inputs()[ID1].options == {}
    store.close()


# job_inputs as the first version 2 wrote it, before status_url (copied: it is what is on disks).
V2_JOB_INPUTS = """
CREATE TABLE job_inputs (job_id TEXT PRIMARY KEY, path TEXT, url TEXT, size INTEGER, mtime REAL,
    sha256 TEXT, tool TEXT, options TEXT NOT NULL DEFAULT '{}', submitted_at REAL,
    previous_job TEXT, attached INTEGER NOT NULL DEFAULT 0);
INSERT INTO job_inputs (job_id, path, tool) VALUES
    ('a1b2c3d4-e5f6-7890-abcd-ef1234567890', '/tmp/in.json', 'json-formatter-api');
PRAGMA user_version=2;
"""


def test_a_job_inputs_table_without_status_url_gains_it_and_keeps_its_rows(
    tmp_path: Path,
) -> None:
    path = tmp_path / "jobs.db"
    conn = sqlite3.connect(path)
    conn.executescript(V1_SCHEMA.replace("PRAGMA user_version=1;", "") + V2_JOB_INPUTS)
    conn.close()

    store = JobStore(path)
    assert store.notice is None
    (kept,) = store.load_inputs().values()
    assert kept.tool == "json-formatter-api" and kept.status_url is None
    url = "https://api.apidatatools.com/jobs/" + ID2
    store.record_input(JobInput(ID2, tool="json-formatter-api", status_url=url))
    store.close()
    again = JobStore(path)
    assert again.load_inputs()[ID2].status_url == url
    again.close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 2  # an older app still opens it
    conn.close()
