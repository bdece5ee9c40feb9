"""``jobmonitor tools``, ``submit`` and ``uploads`` end to end: the simulator on loopback sockets."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from jobmonitor.cli import run_cli
from jobmonitor.sim import SimServer, SimWorld
from jobmonitor.sim.samples import samples_dir

KEY = "cli-submit-key-0123456789"
SAMPLES = samples_dir()


@pytest.fixture
def sim(monkeypatch: pytest.MonkeyPatch) -> Iterator[SimServer]:
    world = SimWorld(seed=2)
    world.add_key(KEY)
    world.tools.accepted_for = world.tools.queued_for = world.tools.processing_for = 0.1
    world.tools.retry_after = 0.2
    monkeypatch.setenv("JOBMONITOR_API_KEY", KEY)
    with SimServer(world) as server:
        yield server


def test_tools_lists_the_catalogue(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["tools"]) == 0
    out = capsys.readouterr().out
    assert "json-formatter-api" in out and "(stand-in in the simulator)" in out
    assert run_cli(["tools", "--json"]) == 0
    tools = json.loads(capsys.readouterr().out)
    assert len(tools) == 60 and {"slug", "options", "inputs"} <= set(tools[0])
    assert run_cli(["tools", "csv-to-json-api"]) == 0
    assert "--opt tab-space=<int 0-8> (default 2)" in capsys.readouterr().out
    assert run_cli(["tools", "nope-api"]) == 2
    capsys.readouterr()
    assert run_cli(["tools", "nope-api", "--json"]) == 2
    assert json.loads(capsys.readouterr().out)["error"]["code"] == "TOOL_NOT_FOUND"


def test_submit_prints_ids_as_accepted_and_watch_follows_them(
    sim: SimServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    good = str(SAMPLES / "orders.json")
    broken = str(SAMPLES / "broken-trailing-comma.json")
    url = f"{sim.files_url}/samples/orders.json"
    base = ["--base-url", sim.api_url]
    code = run_cli(
        [
            "submit",
            "json-to-csv-api",
            good,
            broken,
            url,
            *base,
            "--json",
            "--watch",
            "--timeout",
            "60",
            "--download",
            "-o",
            str(tmp_path),
        ]
    )
    assert code == 1  # one job failed (the broken input), as watch says
    lines = [
        json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")
    ]
    accepted = [r for r in lines if r.get("mode")]
    assert [r["mode"] for r in accepted] == ["file", "file", "url"]
    assert all(r["status"] == "accepted" and r["status_url"] for r in accepted)
    failed = [
        r for r in lines if r.get("job_id") == accepted[1]["job_id"] and r.get("status") == "failed"
    ]
    assert failed, lines
    assert len(list(tmp_path.glob("*.csv"))) == 2
    assert sim.world.stats.storage_requests_with_key == 0


def test_bad_inputs_submit_nothing(
    sim: SimServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "data.zip").write_bytes(b"PK")
    base = ["--base-url", sim.api_url]
    code = run_cli(
        [
            "submit",
            "json-to-csv-api",
            str(SAMPLES / "orders.json"),
            str(tmp_path / "data.zip"),
            "ftp://x/a.json",
            str(tmp_path / "gone.json"),
            *base,
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "nothing submitted: 3 input(s)" in err
    assert "data.zip" in err and "ftp://x/a.json" in err and "gone.json" in err
    assert (
        run_cli(["submit", "json-to-csv-api", str(SAMPLES / "orders.json"), "--opt", "x", *base])
        == 2
    )
    assert (
        run_cli(
            [
                "submit",
                "json-formatter-api",
                str(SAMPLES / "orders.json"),
                "--opt",
                "tab-space=lots",
                *base,
            ]
        )
        == 2
    )
    assert sim.world.stats.requests == 0 and sim.world.uploads.all() == []


def test_body_mode_and_the_uploads_command(
    sim: SimServer, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["--base-url", sim.api_url]
    assert (
        run_cli(["submit", "json-minify-api", str(SAMPLES / "orders.json"), "--body", *base]) == 0
    )
    out = capsys.readouterr().out
    assert "body-" in out and sim.files_url in out
    assert run_cli(["submit", "text-minify-api", str(SAMPLES / "notes.txt"), *base]) == 0
    capsys.readouterr()
    assert run_cli(["uploads", "--json", *base]) == 0
    (item,) = json.loads(capsys.readouterr().out)
    assert item["status"] == "completed" and item["filename"] == "notes.txt"
    assert run_cli(["uploads", "delete", item["upload_id"], *base]) == 0
    assert run_cli(["uploads", "delete", item["upload_id"], *base, "--json"]) == 1
    gone = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert gone["error"]["code"] == "UPLOAD_NOT_FOUND" and gone["error"]["said_by"] == "server"
    assert run_cli(["uploads", "delete", *base]) == 2


def test_completions_and_the_man_page_come_from_the_parser(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from jobmonitor.cli import SUBCOMMANDS

    assert run_cli(["completion", "bash"]) == 0
    script = capsys.readouterr().out
    assert "submit" in script and "uploads" in script and "--base-url" in script
    assert run_cli(["manpage"]) == 0
    page = capsys.readouterr().out
    assert page.startswith(".TH JOBMONITOR 1")
    assert [line[4:] for line in page.splitlines() if line.startswith(".SS ")] == list(SUBCOMMANDS)


def test_a_dumb_terminal_gets_lines_not_a_redrawn_table(monkeypatch: pytest.MonkeyPatch) -> None:
    from jobmonitor.cli import watch_cmd

    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    monkeypatch.setenv("TERM", "dumb")
    assert type(watch_cmd.make_view(False)).__name__ == "LineView"
    monkeypatch.setenv("TERM", "xterm-256color")
    assert type(watch_cmd.make_view(False)).__name__ == "TableView"


def test_status_takes_several_ids(sim: SimServer, capsys: pytest.CaptureFixture[str]) -> None:
    a = sim.world.add_job(KEY, queued_for=0, processing_for=0)
    b = sim.world.add_job(KEY, job_id="job-12345-abcde", queued_for=0, processing_for=0)
    assert run_cli(["status", a, b, "--json", "--base-url", sim.api_url]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [d["job_id"] for d in lines] == [a, "job-12345-abcde"]
    missing = "00000000-0000-4000-8000-000000000000"
    assert run_cli(["status", a, missing, "--base-url", sim.api_url]) == 1
    assert "jobmonitor: " in capsys.readouterr().err  # one prefix across commands
    assert run_cli(["status", a, "bad/id", "--base-url", sim.api_url]) == 2


def test_key_hints_keep_the_base_url(
    sim: SimServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from jobmonitor.cli.common import auth_hint

    assert auth_hint("status", "https://api.apidatatools.com") == "jobmonitor auth status"
    monkeypatch.setenv("JOBMONITOR_API_KEY", "wrong-key-0123456789")
    code = run_cli(
        ["submit", "json-minify-api", str(SAMPLES / "notes.txt"), "--base-url", sim.api_url]
    )
    assert code == 2
    assert f"jobmonitor auth status --base-url {sim.api_url}" in capsys.readouterr().err
    assert sim.world.uploads.all() == []  # refused at the upload request: nothing left behind


def test_submit_watch_counts_submissions_and_polls_in_one_budget(
    sim: SimServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every request to the API (upload requests, submissions, polls) is counted by one budget:
    two would each allow the limit, together twice what the API takes."""
    from jobmonitor.core.polling import budget, scheduler

    made: list[budget.RequestBudget] = []

    class Counted(budget.RequestBudget):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]
            made.append(self)

    monkeypatch.setattr(budget, "RequestBudget", Counted)
    monkeypatch.setattr(scheduler, "RequestBudget", Counted)
    files = [str(SAMPLES / "orders.json"), f"{sim.files_url}/samples/orders.json"]
    code = run_cli(["submit", "json-to-csv-api", *files, "--base-url", sim.api_url, "--watch"])
    assert code == 0, capsys.readouterr().err
    assert len(made) == 1  # the scheduler polls within the submissions' budget
    assert made[0].used() == sim.world.stats.requests  # and it counted every API request
    assert sim.world.stats.requests >= 5  # an upload request, two submissions, two polls


@pytest.mark.parametrize(
    ("limit", "ttl", "said"),
    [
        (10, 300.0, "exceeds the maximum allowed size"),
        (10_000_000, -1.0, "the upload's permission ran out before the file arrived"),
    ],
)
def test_an_upload_the_storage_refuses_is_said_and_leaves_nothing(
    sim: SimServer, capsys: pytest.CaptureFixture[str], limit: int, ttl: float, said: str
) -> None:
    sim.world.uploads.limits.max_size = limit
    sim.world.uploads.limits.ttl = ttl
    source = str(SAMPLES / "orders.json")
    code = run_cli(["submit", "json-to-csv-api", source, "--base-url", sim.api_url])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith(f"jobmonitor: {source}: ") and said in err
    assert sim.world.uploads.all() == [] and sim.world.job_ids() == []
