"""jobmonitor: watch asynchronous jobs of the apidatatools Status API."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("jobmonitor")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

APP_ID = "com.apidatatools.JobMonitor"
APP_NAME = "Job Monitor"
ORG_NAME = "apidatatools"
ORG_DOMAIN = "apidatatools.com"
DEFAULT_BASE_URL = "https://api.apidatatools.com"
KEYRING_SERVICE = "jobmonitor"

__all__ = [
    "APP_ID",
    "APP_NAME",
    "DEFAULT_BASE_URL",
    "KEYRING_SERVICE",
    "ORG_DOMAIN",
    "ORG_NAME",
    "__version__",
]
