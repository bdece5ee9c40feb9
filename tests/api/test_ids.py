"""Job ids: case-insensitive and brace-tolerant; malformed ones refused before any request."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from apihelpers import KEY

from jobmonitor.api import InvalidJobId, StatusClient, normalize_job_id, parse_job_ids
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
        f"{upper}, {{{SAMPLE}}}; junk|{other}\n'{other}' 12345",
        known={"00000000-0000-4000-8000-000000000009"},
    )
    assert parsed.ids == (SAMPLE, other)
    assert parsed.duplicates == 2
    assert [r.text for r in parsed.rejected] == ["junk", "12345"]
    assert (
        parse_job_ids(
            "00000000-0000-4000-8000-000000000009", known={"00000000-0000-4000-8000-000000000009"}
        ).duplicates
        == 1
    )
