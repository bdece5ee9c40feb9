"""packaging/render_icons.py: the build-time PNG, ICO and ICNS files are real, readable icons."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QImage, QImageReader
from PySide6.QtWidgets import QApplication

REPO = Path(__file__).resolve().parents[2]
APP_ID = "com.apidatatools.JobMonitor"


def sizes_in(path: Path) -> list[int]:
    reader = QImageReader(str(path))
    sizes = []
    for index in range(reader.imageCount()):
        assert reader.jumpToImage(index)
        image = reader.read()
        assert not image.isNull(), reader.errorString()
        assert image.width() == image.height()
        sizes.append(image.width())
    return sizes


def test_render_icons_writes_every_platform_format(qapp: QApplication, tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    subprocess.run(
        [sys.executable, str(REPO / "packaging" / "render_icons.py"), str(tmp_path)],
        check=True,
        env=env,
        timeout=120,
    )
    for size in (16, 22, 24, 32, 48, 64, 128, 256, 512):
        png = QImage(str(tmp_path / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"))
        assert (png.width(), png.height()) == (size, size)
        assert png.pixelColor(size // 2, size // 2).alpha() == 255  # drawn, not blank
    assert sizes_in(tmp_path / "jobmonitor.ico") == [16, 24, 32, 48, 64, 128, 256]
    assert sorted(sizes_in(tmp_path / "jobmonitor.icns")) == sorted(
        [16, 32, 64, 128, 256, 512, 1024, 32, 64, 256, 512]
    )
