"""Job ids: case-insensitive and brace-tolerant; malformed ones refused before any request."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from apihelpers import KEY

from jobmonitor.api import InvalidJobId, StatusClient, normalize_job_id, parse_job_ids
from jobmonitor.api.ids import find_job_ids
from jobmonitor.sim import SimWorld

SAMPLE = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"


FORMS = {
    "as is": lambda j: j,
    "upper case": str.upper,
    "braces and whitespace": lambda j: "  {" + j + "}\n",
    "upper in braces": lambda j: "\t{" + j.upper() + "} ",
    "spaces inside braces": lambda j: "{ " + j + " }",
}


@pytest.mark.parametrize("form", FORMS.values(), ids=FORMS.keys())
async def test_accepted_forms_reach_the_same_job(
    client: StatusClient, world: SimWorld, form: Callable[[str], str]
) -> None:
    job = world.add_job(KEY)
    snap = await client.get_job(form(job))
    assert snap.job_id == job
    assert world.stats.requests == 1


MALFORMED = [
    "",
    "   ",
    "{}",
    "{" + SAMPLE,
    "{{" + SAMPLE + "}}",
    SAMPLE + "0",
    SAMPLE[:-1],
    SAMPLE.replace("-", ""),  # uuid.UUID() accepts it; a job id is 8-4-4-4-12
    "urn:uuid:" + SAMPLE,
    "+" + SAMPLE[1:],
    SAMPLE[:8] + "_" + SAMPLE[9:],
    SAMPLE[:7] + "-" + SAMPLE[7] + SAMPLE[9:],  # a hyphen one place early
    SAMPLE.replace("a", "g"),
    SAMPLE.replace("1", "\u0661"),  # ARABIC-INDIC DIGIT ONE
    SAMPLE.replace("a", "\uff41"),  # FULLWIDTH LATIN SMALL LETTER A
    SAMPLE.replace("-", "\u2010"),  # HYPHEN
    SAMPLE[:8] + " " + SAMPLE[9:],
    "../" + SAMPLE,
    SAMPLE + "/..",
    SAMPLE + "?x=1",
]


@pytest.mark.parametrize("raw", MALFORMED)
async def test_malformed_ids_are_refused_before_sending(
    client: StatusClient, world: SimWorld, raw: str
) -> None:
    with pytest.raises(InvalidJobId) as caught:
        await client.get_job(raw)
    assert caught.value.terminal_for_job and caught.value.reason
    assert caught.value.http_status is None  # decided here, not by the server
    assert world.stats.requests == 0


def test_reasons_are_specific() -> None:
    with pytest.raises(InvalidJobId, match="empty"):
        normalize_job_id(" {} ")
    with pytest.raises(InvalidJobId, match="non-ASCII"):
        normalize_job_id(SAMPLE.replace("1", "\u0661"))
    with pytest.raises(InvalidJobId, match="hex digits 0-9"):
        normalize_job_id(SAMPLE.replace("a", "g"))
    with pytest.raises(InvalidJobId, match="8-4-4-4-12"):
        normalize_job_id(SAMPLE.replace("-", ""))


def test_parse_pasted_text() -> None:
    upper = SAMPLE.upper()
    other = "00000000-0000-4000-8000-000000000001"
    parsed = parse_job_ids(
        f"{upper}, {{{SAMPLE}}}; job-12345-abcde|{other}|job/12|Ada\n'{other}'\njob-9",
        known={"00000000-0000-4000-8000-000000000009"},
    )
    # A line of its own is an explicit id (PROVIDER.md), kept as given; among other tokens an
    # issued-looking id counts, a plain word does not; other characters are refused.
    assert parsed.ids == (SAMPLE, "job-12345-abcde", other, "job-9")
    assert parsed.duplicates == 2
    assert [r.text for r in parsed.rejected] == ["job/12", "Ada"]
    assert (
        parse_job_ids(
            "00000000-0000-4000-8000-000000000009", known={"00000000-0000-4000-8000-000000000009"}
        ).duplicates
        == 1
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("job-12345-abcde", "job-12345-abcde"),
        ("Job_ABC", "Job_ABC"),  # kept exactly: only UUIDs are case-insensitive
        ("  {job-1}  ", "job-1"),
        ("x" * 128, "x" * 128),
    ],
)
def test_other_ids_from_explicit_sources_are_kept_as_given(raw: str, expected: str) -> None:
    assert normalize_job_id(raw) == expected


@pytest.mark.parametrize("raw", ["job.1", "job/1", "job%201", "job 1", "x" * 129, "jöb"])
def test_ids_with_other_characters_say_what_an_id_looks_like(raw: str) -> None:
    with pytest.raises(InvalidJobId) as caught:
        normalize_job_id(raw)
    assert "job id" in caught.value.reason


def test_json_and_tables_name_their_id_column() -> None:
    assert parse_job_ids('[{"job_id": "job-1"}, {"job_id": "Job-2"}]').ids == ("job-1", "Job-2")
    assert parse_job_ids("job_id\njob-1\njob-2\n").ids == ("job-1", "job-2")  # a header cell
    table = parse_job_ids(f"owner,job_id\nAda,job-7\nGrace,{SAMPLE}\n")
    assert table.ids == ("job-7", SAMPLE) and table.rejected == ()  # names are no ids
    assert find_job_ids(f"retrying {SAMPLE} (job_id=job-778-abc)") == [SAMPLE, "job-778-abc"]


async def test_a_non_uuid_id_goes_into_the_path_percent_encoded(
    client: StatusClient, world: SimWorld
) -> None:
    job = world.add_job(KEY, job_id="job-12345-AbCdE")
    snap = await client.get_job("job-12345-AbCdE")
    assert snap.job_id == job == "job-12345-AbCdE"
