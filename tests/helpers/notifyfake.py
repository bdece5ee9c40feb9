"""A fake org.freedesktop.Notifications server, run as its own process on the tests' private bus.

It records every call and answers as a real server does (ids count up; ``replaces_id`` keeps
the id). Tests drive and read it over the same bus, through a test-only interface:

- ``org.jobmonitor.FakeNotifications.Calls() -> s``: the recorded calls as a JSON list
- ``.Invoke(u id, s action)``: emit ``ActionInvoked`` as if the user clicked that action
- ``.Dismiss(u id)``: emit ``NotificationClosed`` (reason 2, dismissed by the user)

``fake_notifications`` (a fixture: import it into a test module) starts it for one test on the
private bus of ``.ci/with-keyring`` and skips where there is none. ``python notifyfake.py`` runs
the server; it prints ``ready`` once it owns the name.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from busfake import bus_process, own_name
from jeepney import (
    DBusAddress,
    HeaderFields,
    MessageType,
    new_error,
    new_method_return,
    new_signal,
)
from jeepney.io.blocking import open_dbus_connection

NAME = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"
TEST_IFACE = "org.jobmonitor.FakeNotifications"
CAPABILITIES = ["actions", "body", "persistence"]
# What a real server says of itself (clients such as desktop-notifier's dbus-fast introspect).
INTROSPECTION = """<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">
<node>
  <interface name="org.freedesktop.Notifications">
    <method name="Notify">
      <arg type="s" direction="in"/><arg type="u" direction="in"/><arg type="s" direction="in"/>
      <arg type="s" direction="in"/><arg type="s" direction="in"/><arg type="as" direction="in"/>
      <arg type="a{sv}" direction="in"/><arg type="i" direction="in"/>
      <arg type="u" direction="out"/>
    </method>
    <method name="CloseNotification"><arg type="u" direction="in"/></method>
    <method name="GetCapabilities"><arg type="as" direction="out"/></method>
    <method name="GetServerInformation">
      <arg type="s" direction="out"/><arg type="s" direction="out"/>
      <arg type="s" direction="out"/><arg type="s" direction="out"/>
    </method>
    <signal name="NotificationClosed"><arg type="u"/><arg type="u"/></signal>
    <signal name="ActionInvoked"><arg type="u"/><arg type="s"/></signal>
  </interface>
</node>
"""


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str):
        return _jsonable(value[1])  # a variant (signature, value): the value
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


class FakeNotifications:
    """The test's handle on the running fake: what it was asked, and the user's clicks."""

    def __init__(self) -> None:
        self._conn = open_dbus_connection("SESSION")
        self._test = DBusAddress(PATH, bus_name=NAME, interface=TEST_IFACE)

    def _call(self, member: str, signature: str | None = None, body: tuple[Any, ...] = ()) -> Any:
        from jeepney import new_method_call

        reply = self._conn.send_and_get_reply(
            new_method_call(self._test, member, signature, body), timeout=5
        )
        assert reply.header.message_type is MessageType.method_return, reply.body
        return reply.body

    def calls(self, member: str = "Notify") -> list[list[Any]]:
        """The arguments of every call of ``member`` so far, oldest first."""
        recorded = json.loads(self._call("Calls")[0])
        return [c["args"] for c in recorded if c["member"] == member]

    def invoke(self, nid: int, action: str) -> None:
        self._call("Invoke", "us", (nid, action))

    def dismiss(self, nid: int) -> None:
        self._call("Dismiss", "u", (nid,))

    def close(self) -> None:
        self._conn.close()


@pytest.fixture
def fake_notifications() -> Iterator[FakeNotifications]:
    with bus_process(__file__):
        fake = FakeNotifications()
        yield fake
        fake.close()


def main() -> int:
    conn = own_name(NAME)
    if conn is None:
        return 1
    emitter = DBusAddress(PATH, interface=NAME)
    calls: list[dict[str, Any]] = []
    next_id = 1
    print("ready", flush=True)
    while True:
        msg = conn.receive()
        if msg.header.message_type is not MessageType.method_call:
            continue
        member = msg.header.fields.get(HeaderFields.member)
        iface = msg.header.fields.get(HeaderFields.interface)
        if iface == NAME:
            calls.append({"member": member, "args": _jsonable(msg.body)})
        if iface == NAME and member == "Notify":
            replaces = int(msg.body[1])
            nid = replaces or next_id
            if not replaces:
                next_id += 1
            conn.send(new_method_return(msg, "u", (nid,)))
        elif iface == NAME and member == "GetCapabilities":
            conn.send(new_method_return(msg, "as", (CAPABILITIES,)))
        elif iface == NAME and member == "GetServerInformation":
            conn.send(new_method_return(msg, "ssss", ("fake", "jobmonitor tests", "1", "1.2")))
        elif iface == NAME and member == "CloseNotification":
            conn.send(new_method_return(msg))
            conn.send(new_signal(emitter, "NotificationClosed", "uu", (msg.body[0], 3)))
        elif member == "Introspect":
            conn.send(new_method_return(msg, "s", (INTROSPECTION,)))
        elif iface == TEST_IFACE and member == "Calls":
            conn.send(new_method_return(msg, "s", (json.dumps(calls),)))
        elif iface == TEST_IFACE and member == "Invoke":
            conn.send(new_method_return(msg))
            conn.send(new_signal(emitter, "ActionInvoked", "us", tuple(msg.body)))
        elif iface == TEST_IFACE and member == "Dismiss":
            conn.send(new_method_return(msg))
            conn.send(new_signal(emitter, "NotificationClosed", "uu", (msg.body[0], 2)))
        else:
            conn.send(new_error(msg, "org.freedesktop.DBus.Error.UnknownMethod"))


if __name__ == "__main__":
    sys.exit(main())
