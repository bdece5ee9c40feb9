"""jobmonitor: watch asynchronous jobs of the apidatatools Status API."""

# The one place the version is written (pyproject.toml reads it from here): reading it back from
# the installed metadata instead cost every start-up 22 ms of importlib.metadata.
__version__ = "0.1.0"

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
