"""Desktop notifications through ``org.freedesktop.Notifications`` on the session bus (no Qt).

The notification server of GNOME, KDE, XFCE, Cinnamon, dunst, mako… all implement this
interface, with or without a system tray. The client speaks D-Bus through jeepney's asyncio
integration, so it runs on the app's (qasync) loop like the HTTP clients; every call is bounded
by ``CALL_TIMEOUT`` and every failure (no bus, no server, a server error) is a False or a None
plus a log line, never an exception in the caller's face.

Why not desktop-notifier or QtDBus: desktop-notifier's D-Bus backend always sends
``replaces_id=0`` (a burst cannot replace the previous summary) and sends no ``desktop-entry``
hint; PySide6's QtDBus marshals Python values with an empty signature (no ``u``, ``as`` or
``a{sv}``), so ``Notify`` cannot be called with the types the specification requires.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Any

from jeepney import DBusAddress, HeaderFields, MatchRule, MessageType, new_method_call
from jeepney.bus_messages import message_bus
from jeepney.io.asyncio import DBusConnection, DBusRouter, open_dbus_connection
from jeepney.wrappers import DBusErrorResponse

from jobmonitor.core.notify_service import (
    DEFAULT_ACTION,
    ActionHandler,
    ClosedHandler,
    Urgency,
)

__all__ = ["DEFAULT_ACTION", "FreedesktopNotifications", "Urgency"]

log = logging.getLogger(__name__)

BUS_NAME = "org.freedesktop.Notifications"
OBJECT_PATH = "/org/freedesktop/Notifications"
CALL_TIMEOUT = 5.0  # seconds: a stuck bus must not hold a notification (or quitting) forever
_SERVICE = DBusAddress(OBJECT_PATH, bus_name=BUS_NAME, interface=BUS_NAME)
# Everything that can go wrong reaching a bus or a server, as the caller sees it: "not there".
_DBUS_ERRORS = (
    OSError,
    EOFError,
    TimeoutError,
    KeyError,  # no DBUS_SESSION_BUS_ADDRESS
    ValueError,
    RuntimeError,  # an address of a transport jeepney does not speak; a closed router
    DBusErrorResponse,
)


class FreedesktopNotifications:
    """One connection to the session bus's notification server.

    ``start`` connects and subscribes to ``ActionInvoked`` / ``NotificationClosed``; it returns
    False where there is no bus or no server (the caller then uses its fallback). ``notify``
    returns the server's id for the notification (pass it as ``replaces`` to update it in place).
    """

    def __init__(
        self,
        app_name: str,
        *,
        desktop_entry: str,
        on_action: ActionHandler,
        on_closed: ClosedHandler = lambda _nid: None,
        bus: str = "SESSION",
    ) -> None:
        self._app_name = app_name
        self._desktop_entry = desktop_entry
        self._on_action = on_action
        self._on_closed = on_closed
        self._bus = bus
        self._conn: DBusConnection | None = None
        self._router: DBusRouter | None = None
        self._listener: asyncio.Task[None] | None = None
        self._filter: Any = None
        self._owner = ""
        self.capabilities: tuple[str, ...] = ()
        self.server: str = ""  # "name vendor version", for diagnostics

    @property
    def available(self) -> bool:
        return self._router is not None

    async def start(self) -> bool:
        try:
            await asyncio.wait_for(self._connect(), CALL_TIMEOUT)
        except _DBUS_ERRORS as exc:
            log.info("no desktop notification service: %s", exc or type(exc).__name__)
            await self.aclose()
            return False
        return True

    async def _connect(self) -> None:
        self._conn = await open_dbus_connection(self._bus)
        self._router = router = DBusRouter(self._conn)
        # The bus resolves the well-known sender; locally the header holds the owner's unique
        # name, which _listen checks (no other client can fake a click).
        signals = {"type": MessageType.signal, "interface": BUS_NAME, "path": OBJECT_PATH}
        queue: asyncio.Queue[Any] = asyncio.Queue(256)
        self._filter = router.filter(MatchRule(**signals), queue=queue)
        await self._call(message_bus.AddMatch(MatchRule(sender=BUS_NAME, **signals)))
        # The first call starts the server where it is activatable, and says whether there is one.
        (caps,) = await self._call(new_method_call(_SERVICE, "GetCapabilities"))
        self.capabilities = tuple(str(c) for c in caps)
        (self._owner,) = await self._call(message_bus.GetNameOwner(BUS_NAME))
        name, vendor, version, _spec = await self._call(
            new_method_call(_SERVICE, "GetServerInformation")
        )
        self.server = f"{name} {vendor} {version}"
        self._listener = asyncio.get_running_loop().create_task(self._listen(queue))

    async def _call(self, message: Any) -> tuple[Any, ...]:
        router = self._router
        if router is None:
            raise RuntimeError("not connected")
        reply = await asyncio.wait_for(router.send_and_get_reply(message), CALL_TIMEOUT)
        if reply.header.message_type is MessageType.error:
            raise DBusErrorResponse(reply)
        return tuple(reply.body)

    async def notify(
        self,
        summary: str,
        body: str,
        *,
        actions: Sequence[tuple[str, str]] = (),
        urgency: Urgency = Urgency.NORMAL,
        replaces: int = 0,
        icon: str = "",
        category: str = "",
        timeout_ms: int = -1,
    ) -> int | None:
        """Show (or, with ``replaces``, update) a notification; its id, or None if it failed."""
        if self._router is None:
            return None
        flat: list[str] = []
        for key, label in actions:
            flat += [key, label]
        hints: dict[str, tuple[str, Any]] = {
            "urgency": ("y", int(urgency)),
            "desktop-entry": ("s", self._desktop_entry),
        }
        if category:
            hints["category"] = ("s", category)
        message = new_method_call(
            _SERVICE,
            "Notify",
            "susssasa{sv}i",
            (self._app_name, replaces, icon, summary, body, flat, hints, timeout_ms),
        )
        try:
            (nid,) = await self._call(message)
        except _DBUS_ERRORS as exc:
            log.warning("desktop notification not shown: %s", exc or type(exc).__name__)
            return None
        return int(nid)

    async def showing(self, nid: int) -> bool:
        """Still on screen? The server says when one closes (``on_closed``), so: yes."""
        return self._router is not None

    async def close_notification(self, nid: int) -> None:
        if self._router is None:
            return
        with contextlib.suppress(*_DBUS_ERRORS):
            await self._call(new_method_call(_SERVICE, "CloseNotification", "u", (nid,)))

    async def _listen(self, queue: asyncio.Queue[Any]) -> None:
        loop = asyncio.get_running_loop()
        while True:
            message = await queue.get()
            if message.header.fields.get(HeaderFields.sender) != self._owner:
                continue
            member = message.header.fields.get(HeaderFields.member)
            try:
                if member == "ActionInvoked":
                    nid, key = message.body
                    # Through the loop: a handler's bug is logged there and does not end this task.
                    loop.call_soon(self._on_action, int(nid), str(key))
                elif member == "NotificationClosed":
                    loop.call_soon(self._on_closed, int(message.body[0]))
            except (ValueError, TypeError):  # a malformed signal is not our crash
                log.warning("ignored a malformed %s signal", member)

    async def aclose(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener
        if self._filter is not None:
            self._filter.close()
            self._filter = None
        router, self._router = self._router, None
        if router is not None:
            with contextlib.suppress(*_DBUS_ERRORS):
                await router.__aexit__(None, None, None)
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(*_DBUS_ERRORS):
                await conn.close()
