"""Composition root of the desktop app: builds the services and the window and wires them.

Public faces: ``main.run_gui`` (arguments, QApplication, the qasync loop), ``root.DesktopApp``
(builds and wires store, credentials, HTTP pool, polling, downloads and the window),
``downloads.DesktopDownloads`` (the downloads panel wired to the manager), ``demo`` (demo mode:
the embedded simulator and its key).
"""
