#!/usr/bin/env bash
# packaging_validate_test: the app's desktop entry and AppStream metadata pass their validators,
# and the files agree with each other and with the icon.
#   - desktop-file-validate (desktop-file-utils) on packaging/org.exile.Exile.desktop: no error
#     and no warning;
#   - appstreamcli validate --no-net (appstream) on packaging/org.exile.Exile.metainfo.xml: no
#     error, warning or info (its pedantic notes pass: the id has capitals, as it must to match
#     the desktop entry's name);
#   - the desktop entry's Icon is the icon's name, its Exec is `exile %u` and it handles exile://
#     links; the metainfo's developer is Exile, it launches that desktop entry and shows docs/screenshots/main-en.png and
#     main-ko.png;
#   - packaging/icons/org.exile.Exile.svg is well-formed XML and org.exile.Exile.png is a
#     256 × 256 PNG.
# Usage: validate.sh REPOSITORY_ROOT
set -uo pipefail
root=${1:?usage: validate.sh REPOSITORY_ROOT}
dir="$root/packaging"
desktop="$dir/org.exile.Exile.desktop"
metainfo="$dir/org.exile.Exile.metainfo.xml"
failed=0
fail() { echo "FAIL: $*"; failed=1; }

for tool in desktop-file-validate appstreamcli python3; do
  command -v "$tool" >/dev/null ||
    { echo "FAIL: $tool not found (scripts/lib/common.sh installs desktop-file-utils, appstream)"; exit 1; }
done

out=$(desktop-file-validate "$desktop" 2>&1)
rc=$?
if ((rc != 0)) || [[ -n $out ]]; then fail "desktop-file-validate $desktop (exit $rc):"; echo "$out"; fi

out=$(appstreamcli validate --no-net --no-color "$metainfo" 2>&1)
rc=$?
if ((rc != 0)) || grep -qE '^[EWI]:' <<<"$out"; then fail "appstreamcli validate $metainfo (exit $rc):"; echo "$out"; fi

python3 - "$root" <<'PY' || failed=1
import configparser, struct, sys, xml.etree.ElementTree as ET
from pathlib import Path
root = Path(sys.argv[1])
pkg = root / "packaging"
bad = []
entry = configparser.ConfigParser(interpolation=None, strict=True)
entry.optionxform = str
entry.read(pkg / "org.exile.Exile.desktop", encoding="utf-8")
d = entry["Desktop Entry"]
if d.get("Icon") != "org.exile.Exile":
    bad.append(f"desktop entry: Icon={d.get('Icon')}, expected org.exile.Exile")
if d.get("Exec") != "exile %u":
    bad.append(f"desktop entry: Exec={d.get('Exec')}, expected 'exile %u'")
if "x-scheme-handler/exile" not in d.get("MimeType", "").split(";"):
    bad.append("desktop entry: MimeType lacks x-scheme-handler/exile")
try:
    meta = ET.parse(pkg / "org.exile.Exile.metainfo.xml").getroot()
except ET.ParseError as e:
    print(f"FAIL: metainfo is not well-formed: {e}")
    sys.exit(1)
if meta.findtext("id") != "org.exile.Exile":
    bad.append(f"metainfo: id {meta.findtext('id')}, expected org.exile.Exile")
if meta.findtext("launchable") != "org.exile.Exile.desktop":
    bad.append(f"metainfo: launchable {meta.findtext('launchable')}, expected org.exile.Exile.desktop")
if meta.findtext("developer_name") != "Exile":
    bad.append(f"metainfo: developer_name {meta.findtext('developer_name')}, expected Exile")
shots = [i.text.rsplit("/", 1)[-1] for i in meta.iter("image")]
if shots != ["main-en.png", "main-ko.png"]:
    bad.append(f"metainfo: screenshots {shots}, expected main-en.png and main-ko.png")
if not all("/docs/screenshots/" in i.text for i in meta.iter("image")):
    bad.append("metainfo: a screenshot is not under docs/screenshots/")
try:
    svg = ET.parse(pkg / "icons" / "org.exile.Exile.svg").getroot()
    if svg.tag != "{http://www.w3.org/2000/svg}svg":
        bad.append(f"icon: the SVG's root is {svg.tag}")
except ET.ParseError as e:
    bad.append(f"icon: the SVG is not well-formed: {e}")
png = (pkg / "icons" / "org.exile.Exile.png").read_bytes()
if png[:8] != b"\x89PNG\r\n\x1a\n" or png[12:16] != b"IHDR":
    bad.append("icon: org.exile.Exile.png is not a PNG")
elif struct.unpack(">II", png[16:24]) != (256, 256):
    bad.append(f"icon: org.exile.Exile.png is {struct.unpack('>II', png[16:24])}, expected 256 x 256")
for b in bad:
    print("FAIL: " + b)
sys.exit(1 if bad else 0)
PY

((failed)) && exit 1
echo "packaging: desktop entry, AppStream metadata and icon are valid and agree"
