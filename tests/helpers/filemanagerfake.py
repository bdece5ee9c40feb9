"""A fake freedesktop file manager (``org.freedesktop.FileManager1``), run as its own process.

It answers ``ShowItems`` as Nautilus or Dolphin do and prints each call as a JSON line
(``[uris, startup_id]``) before it answers, so a test that saw the answer can read the call.
``python filemanagerfake.py`` runs it; it prints ``ready`` once it owns the name.
``file_manager`` (a fixture: import it into a test module) runs it for one test.
"""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import IO

import pytest
from busfake import bus_process, own_name
from jeepney import HeaderFields, MessageType, new_error, new_method_return

NAME = "org.freedesktop.FileManager1"


class FileManager:
    """The test's handle on the running fake: the calls it printed."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self._lines: queue.Queue[str] = queue.Queue()
        assert proc.stdout is not None
        threading.Thread(target=self._read, args=(proc.stdout,), daemon=True).start()

    def _read(self, stdout: IO[str]) -> None:
        for line in stdout:
            self._lines.put(line)

    def next_call(self, timeout: float = 10.0) -> tuple[list[str], str]:
        """The next ``ShowItems`` call, as (uris, startup id); fails if none comes in time."""
        try:
            uris, startup_id = json.loads(self._lines.get(timeout=timeout))
        except queue.Empty:
            pytest.fail(f"the file manager was not asked to show anything in {timeout} s")
        return list(uris), str(startup_id)


@pytest.fixture
def file_manager() -> Iterator[FileManager]:
    with bus_process(__file__) as proc:
        yield FileManager(proc)


def main() -> int:
    conn = own_name(NAME)
    if conn is None:
        return 1
    print("ready", flush=True)
    while True:
        msg = conn.receive()
        if msg.header.message_type is not MessageType.method_call:
            continue
        fields = msg.header.fields
        if fields.get(HeaderFields.interface) == NAME and fields.get(HeaderFields.member) == (
            "ShowItems"
        ):
            print(json.dumps(list(msg.body)), flush=True)
            conn.send(new_method_return(msg))
        else:
            conn.send(new_error(msg, "org.freedesktop.DBus.Error.UnknownMethod"))


if __name__ == "__main__":
    sys.exit(main())
