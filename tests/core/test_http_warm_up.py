"""The desktop app's warm-up imports what httpx would import at its first request (anyio's
backend, the trust store), so that first poll does not pay for it on the GUI thread."""

from __future__ import annotations

import json
import subprocess
import sys

_PROBE = """
import json, sys
import jobmonitor.core.http as http
before = {m: m in sys.modules for m in http.FIRST_REQUEST_MODULES}
http.warm_up()
print(json.dumps([before, {m: m in sys.modules for m in http.FIRST_REQUEST_MODULES}]))
"""


def test_warm_up_imports_every_module_a_first_request_needs() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=60, check=True
    )
    before, after = json.loads(out.stdout)
    assert not any(before.values())  # a fresh interpreter had none of them: the warm-up helps
    assert all(after.values()), after  # every name is still where httpx and anyio keep it
