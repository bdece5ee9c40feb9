#!/usr/bin/env bash
# Install the menu entry, AppStream metainfo and icon under a prefix (default ~/.local), so Job
# Monitor shows up in the desktop's menu and software centre with its icon.
#   packaging/linux/install.sh                       # after `pip install --user jobmonitor` or pipx
#   packaging/linux/install.sh --bundle DIR          # also link DIR/jobmonitor into PREFIX/bin
#   packaging/linux/install.sh --prefix /usr/local   # system-wide (as root)
#   DESTDIR=/tmp/stage packaging/linux/install.sh --prefix /usr   # staging, as a distro package does
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
app_id=com.apidatatools.JobMonitor
prefix="$HOME/.local"
bundle=""
while (($#)); do
  case "$1" in
    --prefix) prefix="$2"; shift 2 ;;
    --bundle) bundle="$(cd "$2" && pwd)"; shift 2 ;;
    *) echo "usage: $0 [--prefix DIR] [--bundle DIR]" >&2; exit 2 ;;
  esac
done
root="${DESTDIR:-}$prefix"

install -Dm644 "$here/$app_id.desktop" "$root/share/applications/$app_id.desktop"
install -Dm644 "$here/$app_id.metainfo.xml" "$root/share/metainfo/$app_id.metainfo.xml"
install -Dm644 "$repo/resources/$app_id.svg" "$root/share/icons/hicolor/scalable/apps/$app_id.svg"
# PNG sizes for panels that do not draw SVG, when build-bundle.sh (render_icons.py) made them.
rendered="$repo/packaging/build/icons/hicolor"
if [[ -d "$rendered" ]]; then
  for png in "$rendered"/*/apps/"$app_id.png"; do
    size="$(basename "$(dirname "$(dirname "$png")")")"
    install -Dm644 "$png" "$root/share/icons/hicolor/$size/apps/$app_id.png"
  done
fi
if [[ -n "$bundle" ]]; then
  [[ -x "$bundle/jobmonitor" ]] || { echo "no executable $bundle/jobmonitor" >&2; exit 1; }
  mkdir -p "$root/bin"
  ln -sfn "$bundle/jobmonitor" "$root/bin/jobmonitor"
fi
# Refresh the caches when the tools exist; a staged install (DESTDIR) leaves that to the package.
if [[ -z "${DESTDIR:-}" ]]; then
  command -v update-desktop-database >/dev/null && update-desktop-database -q "$root/share/applications" || true
  command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -qtf "$root/share/icons/hicolor" || true
fi
echo "installed $app_id under $root"
