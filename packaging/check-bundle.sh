#!/usr/bin/env bash
# Check the bundle built by packaging/build-bundle.sh: it carries the icons and Qt's SVG plugins,
# its command line answers, and `jobmonitor --demo` opens its window headless (offscreen Qt) and
# draws SVG icons. Runs with private XDG folders and a no-op keyring: nothing of the user's is read.
#   packaging/check-bundle.sh [BUNDLE_DIR]      # default packaging/dist/jobmonitor
#
# Contract with the app: when JOBMONITOR_EXIT_AFTER_SHOWN=1 is set, it prints the line
# "jobmonitor: window shown" to stderr right after its main window is first shown, then exits 0.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bundle="$(cd "${1:-$here/dist/jobmonitor}" && pwd)"
exe="$bundle/jobmonitor"
timeout_s="${CHECK_BUNDLE_TIMEOUT:-90}"
fail() { echo "check-bundle: FAIL: $*" >&2; exit 1; }

[[ -x "$exe" ]] || fail "no executable at $exe (run packaging/build-bundle.sh first)"
internal="$bundle/_internal"
for f in jobmonitor/_resources/com.apidatatools.JobMonitor.svg \
         jobmonitor/_resources/icons/light/status-success.svg \
         jobmonitor/_resources/icons/dark/connection-online.svg \
         PySide6/Qt/plugins/iconengines/libqsvgicon.so \
         PySide6/Qt/plugins/imageformats/libqsvg.so \
         PySide6/Qt/plugins/platforms/libqoffscreen.so; do
  [[ -e "$internal/$f" ]] || fail "the bundle lacks $f"
done
echo "check-bundle: resources and Qt plugins present"

sandbox="$(mktemp -d)"
trap 'rm -rf "$sandbox"' EXIT
run() {
  env -u JOBMONITOR_API_KEY -u JOBMONITOR_BASE_URL -u DISPLAY -u WAYLAND_DISPLAY \
    HOME="$sandbox/home" XDG_CONFIG_HOME="$sandbox/config" XDG_DATA_HOME="$sandbox/data" \
    XDG_CACHE_HOME="$sandbox/cache" XDG_STATE_HOME="$sandbox/state" \
    PYTHON_KEYRING_BACKEND=keyring.backends.null.Keyring QT_QPA_PLATFORM=offscreen "$@"
}
mkdir -p "$sandbox/home"

version="$(run "$exe" --version)" || fail "'jobmonitor --version' exited $?"
echo "check-bundle: command line answers: $version"

start_ns=$(date +%s%N)
set +e
run JOBMONITOR_EXIT_AFTER_SHOWN=1 QT_DEBUG_PLUGINS=1 timeout "$timeout_s" "$exe" --demo \
  >"$sandbox/stdout" 2>"$sandbox/stderr"
rc=$?
set -e
elapsed_ms=$((($(date +%s%N) - start_ns) / 1000000))
if [[ $rc -ne 0 ]] || ! grep -q '^jobmonitor: window shown' "$sandbox/stderr"; then
  grep -v '^qt\.core\.\|^ \|^}\|^{' "$sandbox/stderr" | tail -n 20 >&2 || true
  [[ $rc -eq 124 ]] && fail "no window within ${timeout_s} s"
  fail "'jobmonitor --demo' exited $rc without saying 'jobmonitor: window shown'"
fi
grep -q 'libqsvgicon.so" loaded library' "$sandbox/stderr" || fail "the SVG icon engine never loaded"
[[ ! -s "$sandbox/stdout" ]] || fail "the GUI printed to stdout: $(head -c 300 "$sandbox/stdout")"
echo "check-bundle: OK: demo window shown in ${elapsed_ms} ms, SVG icons loaded"
