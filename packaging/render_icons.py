"""Render the app icon's SVG into the raster files platforms want, at build time (never committed).

    python packaging/render_icons.py OUT_DIR

writes OUT_DIR/hicolor/SIZExSIZE/apps/<app id>.png (Linux icon themes, 16 to 512),
OUT_DIR/jobmonitor.ico (Windows: 16 to 256, PNG-compressed entries) and OUT_DIR/jobmonitor.icns
(macOS: 16 to 1024 with the @2x slots). Qt draws the SVG, so the only need is PySide6; the ICO and
ICNS containers are a few bytes of header around those PNGs, written here with the standard library.
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

APP_ID = "com.apidatatools.JobMonitor"
SOURCE = Path(__file__).resolve().parents[1] / "resources" / f"{APP_ID}.svg"
HICOLOR_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# ICNS slot type -> pixel size; the ic1x slots are the @2x (Retina) versions.
ICNS_SLOTS = {
    b"icp4": 16,
    b"icp5": 32,
    b"icp6": 64,
    b"ic07": 128,
    b"ic08": 256,
    b"ic09": 512,
    b"ic10": 1024,
    b"ic11": 32,
    b"ic12": 64,
    b"ic13": 256,
    b"ic14": 512,
}


def render_png(size: int) -> bytes:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(SOURCE))
    if not renderer.isValid():
        raise SystemExit(f"cannot read {SOURCE}")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(0)
    painter = QPainter(image)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise SystemExit(f"cannot encode a {size}px PNG")
    return bytes(data.data())


def ico(pngs: dict[int, bytes]) -> bytes:
    header = struct.pack("<HHH", 0, 1, len(pngs))
    offset = len(header) + 16 * len(pngs)
    entries, blobs = b"", b""
    for size, png in sorted(pngs.items()):
        side = 0 if size >= 256 else size  # 0 means 256 in an ICO directory entry
        entries += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(png), offset)
        blobs += png
        offset += len(png)
    return header + entries + blobs


def icns(pngs: dict[int, bytes]) -> bytes:
    body = b"".join(
        kind + struct.pack(">I", 8 + len(pngs[size])) + pngs[size]
        for kind, size in ICNS_SLOTS.items()
    )
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    out = Path(argv[0])
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # a build machine may have no display
    from PySide6.QtGui import QGuiApplication

    _app = QGuiApplication([])  # Qt paints only while one is alive
    sizes = sorted({*HICOLOR_SIZES, *ICO_SIZES, *ICNS_SLOTS.values()})
    pngs = {size: render_png(size) for size in sizes}
    for size in HICOLOR_SIZES:
        target = out / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(pngs[size])
    (out / "jobmonitor.ico").write_bytes(ico({s: pngs[s] for s in ICO_SIZES}))
    (out / "jobmonitor.icns").write_bytes(icns(pngs))
    print(f"icons rendered into {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
