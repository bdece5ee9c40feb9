#!/usr/bin/env bash
# Validate the menu entry and the AppStream metainfo, alone and as installed side by side.
# Needs the Debian/Ubuntu packages desktop-file-utils and appstream. No network is used.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
app_id=com.apidatatools.JobMonitor

desktop-file-validate "$here/$app_id.desktop"
appstreamcli validate --no-net "$here/$app_id.metainfo.xml"
# validate-tree also checks the metainfo's launchable against the installed .desktop file.
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
DESTDIR="$stage" "$here/install.sh" --prefix /usr >/dev/null
appstreamcli validate-tree --no-net "$stage/usr"
echo "linux metadata: valid"
