"""One window per user and data folder: a lock file, a local socket, and forwarding a second launch.

The first GUI process takes ``instance.lock`` in its data folder (``QLockFile``: a killed holder's
lock is recovered because Qt checks whether the recorded process still runs) and then listens on a
``QLocalServer`` whose name is derived from that folder. A later ``jobmonitor ID...`` finds the lock
taken, connects, sends one line of JSON (its arguments, working directory and the desktop's
activation token) and prints the one-line answer. Demo mode has a data folder, so a lock, of its own.

Both ends are bounded: a request or an answer is at most ``MAX_MESSAGE`` bytes, the client waits
at most a few seconds, and a peer that sends garbage gets an error line, never a crash.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QByteArray, QLockFile, QObject, QStandardPaths
from PySide6.QtNetwork import QLocalServer, QLocalSocket

LOCK_NAME = "instance.lock"
MAX_MESSAGE = 1 << 20  # bytes: ids for thousands of jobs fit many times over
PROTOCOL = 1
_MAX_UNIX_PATH = 100  # sun_path is 104-108 bytes; longer names go to Qt's default folder
# Variables a launcher sets to let the launched program take focus (Wayland, then X11).
ACTIVATION_VARIABLES = ("XDG_ACTIVATION_TOKEN", "DESKTOP_STARTUP_ID")


@dataclass(frozen=True, slots=True)
class Launch:
    """What a second launch asked for: its arguments, where it ran, and how to raise a window."""

    args: tuple[str, ...]
    cwd: str
    activation: Mapping[str, str] = field(default_factory=dict)

    def to_line(self) -> bytes:
        body = {"v": PROTOCOL, "args": list(self.args), "cwd": self.cwd}
        body["activation"] = dict(self.activation)
        return json.dumps(body).encode() + b"\n"

    @classmethod
    def from_line(cls, line: bytes) -> Launch:
        """Raises ValueError for anything that is not a request of this protocol."""
        data = json.loads(line.decode("utf-8"))
        if not isinstance(data, dict) or data.get("v") != PROTOCOL:
            raise ValueError("not a jobmonitor launch request")
        args, cwd, activation = data.get("args"), data.get("cwd"), data.get("activation", {})
        if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
            raise ValueError("args must be a list of strings")
        if not isinstance(cwd, str) or not isinstance(activation, dict):
            raise ValueError("bad cwd or activation")
        tokens = {k: v for k, v in activation.items() if k in ACTIVATION_VARIABLES}
        if not all(isinstance(v, str) for v in tokens.values()):
            raise ValueError("activation tokens must be strings")
        return cls(tuple(args), cwd, tokens)

    @classmethod
    def here(cls, args: list[str], environ: Mapping[str, str] = os.environ) -> Launch:
        tokens = {k: environ[k] for k in ACTIVATION_VARIABLES if environ.get(k)}
        return cls(tuple(args), os.getcwd(), tokens)


def server_name(data_dir: Path) -> str:
    """The local socket's name: one per user and data folder, short enough for a Unix path."""
    key = f"{getpass.getuser()}\0{data_dir.resolve()}"
    name = "jobmonitor-" + hashlib.sha256(key.encode()).hexdigest()[:16]
    if sys.platform == "win32":
        return name  # a named pipe, private to the session
    # In the user's runtime folder (0700), not /tmp where Qt puts a bare name.
    runtime = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.RuntimeLocation)
    path = os.path.join(runtime, name + ".sock") if runtime else ""
    return path if path and len(path.encode()) <= _MAX_UNIX_PATH else name


class ForwardFailed(Exception):
    """The running instance could not be reached or did not answer."""


def forward(name: str, launch: Launch, *, timeout_ms: int = 5000) -> str:
    """Send ``launch`` to the instance listening on ``name``; its answer (one line of text)."""
    sock = QLocalSocket()
    sock.connectToServer(name)
    if not sock.waitForConnected(min(timeout_ms, 2000)):
        raise ForwardFailed(sock.errorString())
    try:
        sock.write(QByteArray(launch.to_line()))
        if not sock.waitForBytesWritten(timeout_ms):
            raise ForwardFailed(f"could not send: {sock.errorString()}")
        answer = b""
        while b"\n" not in answer and len(answer) < MAX_MESSAGE:
            if not sock.waitForReadyRead(timeout_ms) and sock.bytesAvailable() == 0:
                raise ForwardFailed(f"no answer: {sock.errorString()}")
            answer += bytes(sock.readAll().data())
    finally:
        sock.abort()
    try:
        reply = json.loads(answer.split(b"\n", 1)[0].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ForwardFailed("the running instance sent a garbled answer") from exc
    if not isinstance(reply, dict) or not isinstance(reply.get("message"), str):
        raise ForwardFailed("the running instance sent a garbled answer")
    if not reply.get("ok"):
        raise ForwardFailed(reply["message"])
    return str(reply["message"])


class InstanceServer(QObject):
    """Listens for later launches and answers each with what ``handle`` made of it.

    ``handle`` runs on the GUI thread and returns the text to send back (e.g. "Added 2 jobs.").
    """

    def __init__(
        self, name: str, handle: Callable[[Launch], str], parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._handle = handle
        self._server = QLocalServer(self)
        # Only this user may connect (the socket file's mode on Unix, the pipe's ACL on Windows).
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._accept)
        self._buffers: dict[QLocalSocket, bytes] = {}
        self.name = name

    def listen(self) -> bool:
        # We hold the lock, so a socket file left behind belongs to a dead instance.
        QLocalServer.removeServer(self.name)
        return self._server.listen(self.name)

    @property
    def error(self) -> str:
        return self._server.errorString()

    def close(self) -> None:
        self._server.close()
        for sock in list(self._buffers):
            sock.abort()
        self._buffers.clear()

    def _accept(self) -> None:
        while self._server.hasPendingConnections():
            sock = self._server.nextPendingConnection()
            self._buffers[sock] = b""
            sock.readyRead.connect(lambda s=sock: self._read(s))
            sock.disconnected.connect(lambda s=sock: self._drop(s))

    def _read(self, sock: QLocalSocket) -> None:
        if sock not in self._buffers:
            return
        data = self._buffers[sock] + bytes(sock.readAll().data())
        if b"\n" not in data:
            if len(data) > MAX_MESSAGE:
                self._reply(sock, ok=False, message="request too large")
            else:
                self._buffers[sock] = data
            return
        line = data.split(b"\n", 1)[0]
        try:
            launch = Launch.from_line(line)
        except (UnicodeDecodeError, ValueError) as exc:
            self._reply(sock, ok=False, message=f"bad request: {exc}")
            return
        self._reply(sock, ok=True, message=self._handle(launch))

    def _reply(self, sock: QLocalSocket, *, ok: bool, message: str) -> None:
        self._buffers.pop(sock, None)
        sock.write(QByteArray(json.dumps({"ok": ok, "message": message}).encode() + b"\n"))
        sock.flush()
        sock.disconnectFromServer()

    def _drop(self, sock: QLocalSocket) -> None:
        self._buffers.pop(sock, None)
        sock.deleteLater()


class InstanceLock:
    """The per-data-folder lock; ``acquire`` never waits."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / LOCK_NAME
        self._lock = QLockFile(str(self.path))
        # Held for the app's whole life: never "stale" by age, only when its process is gone.
        self._lock.setStaleLockTime(0)

    def acquire(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        return bool(self._lock.tryLock(0))

    def holder_pid(self) -> int | None:
        info = self._lock.getLockInfo()
        pid = info[1] if isinstance(info, tuple) and len(info) > 1 else None
        return int(pid) if isinstance(pid, int) and pid > 0 else None

    def release(self) -> None:
        self._lock.unlock()


def claim_or_forward(
    data_dir: Path, launch: Launch, *, wait_s: float = 10.0, step_s: float = 0.2
) -> tuple[InstanceLock | None, str]:
    """Become the instance for ``data_dir`` or hand ``launch`` to the one that is.

    Returns (the lock, "") when this process is the first; (None, the running one's answer)
    when it forwarded. A holder that is still starting (lock taken, not yet listening) is
    given ``wait_s`` seconds; raises ForwardFailed when it never answers.
    """
    lock = InstanceLock(data_dir)
    name = server_name(data_dir)
    waited, last_error = 0.0, ""
    pause = threading.Event()  # a wait that is not time.sleep (there is no event loop yet)
    while True:
        if lock.acquire():
            return lock, ""
        try:
            return None, forward(name, launch)
        except ForwardFailed as exc:
            last_error = str(exc)
        if waited >= wait_s:
            pid = lock.holder_pid()
            who = f" (process {pid})" if pid else ""
            raise ForwardFailed(
                f"another Job Monitor{who} holds {lock.path} but does not answer: {last_error}"
            )
        pause.wait(step_s)
        waited += step_s
