"""The D-Bus notification client against a fake notification server on the tests' private bus."""

from __future__ import annotations

import asyncio
import os

import pytest
from notifyfake import FakeNotifications, fake_notifications  # noqa: F401

from jobmonitor.core.freedesktop import FreedesktopNotifications, Urgency

Event = tuple[str, int, str]


def _client(events: asyncio.Queue[Event] | None = None) -> FreedesktopNotifications:
    queue: asyncio.Queue[Event] = events if events is not None else asyncio.Queue()
    return FreedesktopNotifications(
        "Job Monitor",
        desktop_entry="com.apidatatools.JobMonitor",
        on_action=lambda nid, key: queue.put_nowait(("action", nid, key)),
        on_closed=lambda nid: queue.put_nowait(("closed", nid, "")),
    )


async def test_notify_sends_the_specified_types_and_replaces_in_place(
    fake_notifications: FakeNotifications,  # noqa: F811
) -> None:
    client = _client()
    assert await client.start()
    assert "actions" in client.capabilities and client.server.startswith("fake")
    first = await client.notify(
        "3 jobs finished",
        "2 succeeded, 1 failed",
        actions=[("default", "Open"), ("open", "Open")],
        urgency=Urgency.NORMAL,
        category="transfer.complete",
    )
    again = await client.notify("4 jobs finished", "3 succeeded, 1 failed", replaces=first or 0)
    other = await client.notify("API key rejected", "Fix it in Settings", urgency=Urgency.CRITICAL)
    await client.aclose()

    assert first is not None and again == first and other not in (None, first)
    sent = fake_notifications.calls()
    assert len(sent) == 3
    app, replaces, _icon, summary, body, actions, hints, timeout = sent[0]
    assert (app, replaces, summary, body, timeout) == (
        "Job Monitor",
        0,
        "3 jobs finished",
        "2 succeeded, 1 failed",
        -1,
    )
    assert actions == ["default", "Open", "open", "Open"]
    assert hints == {
        "urgency": 1,
        "desktop-entry": "com.apidatatools.JobMonitor",
        "category": "transfer.complete",
    }
    assert sent[1][1] == first  # the burst's summary replaced, not stacked
    assert sent[2][6]["urgency"] == 2


async def test_clicks_and_dismissals_come_back_with_their_id(
    fake_notifications: FakeNotifications,  # noqa: F811
) -> None:
    events: asyncio.Queue[Event] = asyncio.Queue()
    client = _client(events)
    assert await client.start()
    nid = await client.notify("Job failed", "abc: boom", actions=[("copy-report", "Copy report")])
    assert nid is not None
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, fake_notifications.invoke, nid, "copy-report")
    assert await asyncio.wait_for(events.get(), 5) == ("action", nid, "copy-report")
    await loop.run_in_executor(None, fake_notifications.dismiss, nid)
    assert await asyncio.wait_for(events.get(), 5) == ("closed", nid, "")
    await client.aclose()


async def test_a_bus_without_a_notification_server_is_a_false_start() -> None:
    private = os.environ.get("JOBMONITOR_TEST_KEYRING")
    if not private or os.environ.get("DBUS_SESSION_BUS_ADDRESS") != private:
        pytest.skip("needs the private D-Bus session of .ci/with-keyring")
    client = _client()
    assert not await client.start()  # the bus answers ServiceUnknown: the caller falls back
    assert not client.available
    assert await client.notify("x", "y") is None


async def test_no_session_bus_at_all_is_a_false_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    client = _client()
    assert not await client.start()
    await client.aclose()
