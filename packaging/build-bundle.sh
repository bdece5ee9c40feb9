#!/usr/bin/env bash
# Build the one-folder bundle: packaging/dist/jobmonitor/jobmonitor (jobmonitor.exe on Windows,
# "Job Monitor.app" beside it on macOS). Uses its own venv under packaging/build, so the
# development venv is left alone; re-running reuses that venv and reinstalls the project.
#   packaging/build-bundle.sh            # then: packaging/check-bundle.sh
#   PYTHON=python3.12 packaging/build-bundle.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
build="$here/build"
venv="$build/venv"
start=$SECONDS

if [[ ! -x "$venv/bin/python" && ! -x "$venv/Scripts/python.exe" ]]; then
  "${PYTHON:-python3}" -m venv "$venv"
fi
py="$venv/bin/python"
[[ -x "$py" ]] || py="$venv/Scripts/python.exe"  # Windows (Git Bash)

# A regular (not editable) install: the bundle is built from what a wheel would contain.
"$py" -m pip install --quiet --disable-pip-version-check "$repo[packaging]"
"$py" "$here/render_icons.py" "$build/icons"
JOBMONITOR_ICON_DIR="$build/icons" "$py" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath "$here/dist" --workpath "$build/pyinstaller" "$here/pyinstaller/jobmonitor.spec"

echo "bundle: $here/dist/jobmonitor ($(du -sh "$here/dist/jobmonitor" | cut -f1)), built in $((SECONDS - start)) s"
