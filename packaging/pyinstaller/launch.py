"""Entry script of the PyInstaller bundle: the same main() the installed `jobmonitor` command runs."""

import sys

from jobmonitor.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
