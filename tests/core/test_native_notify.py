"""Which notification service each platform gets, and the native one's adapter driven for real.

Windows' and macOS' centres cannot run here; desktop-notifier's own D-Bus backend can, against
the fake org.freedesktop.Notifications server on the tests' private bus. That drives every line
of ``NativeNotifications`` that is not the platform's (the ids, the buttons, the urgency, a
click or a button coming back, a failed send) through the library's real send and callbacks.
"""
# ruff: noqa: F811  (the fixture comes from notifyfake by import, not from a conftest)

from __future__ import annotations

import asyncio
import os

import pytest
from notifyfake import FakeNotifications, fake_notifications  # noqa: F401

from jobmonitor.core.freedesktop import FreedesktopNotifications
from jobmonitor.core.native_notify import NativeNotifications
from jobmonitor.core.notify_service import Urgency, platform_service, uses_freedesktop


class Handlers:
    """What the user did, as the adapter reports it; ``next_action`` waits for the next one."""

    def __init__(self) -> None:
        self.acted: list[tuple[int, str]] = []
        self.closed: list[int] = []
        self._arrived = asyncio.Event()

    def on_action(self, nid: int, key: str) -> None:
        self.acted.append((nid, key))
        self._arrived.set()

    async def next_action(self) -> tuple[int, str]:
        await asyncio.wait_for(self._arrived.wait(), 10)
        self._arrived.clear()
        return self.acted[-1]

    def service(self) -> NativeNotifications:
        return NativeNotifications(
            "Job Monitor", on_action=self.on_action, on_closed=self.closed.append
        )


@pytest.mark.parametrize(
    ("platform", "kind"),
    [
        ("linux", FreedesktopNotifications),
        ("freebsd14", FreedesktopNotifications),
        ("win32", NativeNotifications),
        ("darwin", NativeNotifications),
    ],
)
def test_each_platform_gets_its_own_notification_service(platform: str, kind: type) -> None:
    service = platform_service(
        "Job Monitor",
        desktop_entry="x",
        on_action=lambda _n, _k: None,
        on_closed=lambda _n: None,
        platform=platform,
    )
    assert type(service) is kind
    assert uses_freedesktop(platform) is (kind is FreedesktopNotifications)
    assert not service.available  # nothing is connected before start()


async def test_the_native_adapter_sends_buttons_and_hears_clicks(
    fake_notifications: FakeNotifications,
) -> None:
    user = Handlers()
    native = user.service()
    assert await native.start()
    assert native.server == "org.freedesktop.Notifications through desktop-notifier"
    try:
        nid = await native.notify(
            "Job failed",
            "broken.json: INVALID_JSON",
            actions=[("default", "Open"), ("copy-report", "Copy report")],
        )
        assert nid == 1
        (call,) = fake_notifications.calls()
        app, _replaces, _icon, title, body, actions, hints, _timeout = call
        assert (app, title, body) == ("Job Monitor", "Job failed", "broken.json: INVALID_JSON")
        # The click on the body is the default action; the others are buttons.
        assert actions[-2:] == ["copy-report", "Copy report"] and "Open" not in actions
        assert hints["urgency"] == 1  # type: ignore[index]
        assert await native.showing(nid)

        fake_notifications.invoke(1, "copy-report")  # the server's id of the first one
        assert await user.next_action() == (nid, "copy-report")
        assert user.closed == [nid]
        assert not await native.showing(nid)  # acted on: gone, a new burst starts afresh

        urgent = await native.notify("API key rejected", "Open Settings", urgency=Urgency.CRITICAL)
        assert urgent == 2
        assert fake_notifications.calls()[1][6]["urgency"] == 2  # type: ignore[index]
        fake_notifications.invoke(2, "default")
        assert await user.next_action() == (urgent, "default")
    finally:
        await native.aclose()


async def test_a_send_that_fails_is_none_not_an_exception(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # No session bus at all: desktop-notifier's D-Bus backend fails inside its send and only
    # logs; the adapter must notice (no on_dispatched) and say so, for the balloon to step in.
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path=/nonexistent/{os.getpid()}")
    native = Handlers().service()
    assert await native.start()  # this backend connects on the first send
    assert await native.notify("Job succeeded", "x.json") is None
    assert not await native.showing(1)
    await native.aclose()
