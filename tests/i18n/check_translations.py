#!/usr/bin/env python3
"""app_translations_test: the app's .ts files are complete and in step with the sources.

For each .ts file given, lupdate runs over the sources (the QML in ui/ and the C++ in src/app,
as scripts/lib/update_translations.sh runs it) into a temporary copy, and the copy is read
back. The committed file is never written. A message fails when:
  - it is vanished or obsolete: the sources no longer have it (the file is behind the sources);
  - it is new: the sources have it and the file does not (lupdate adds it unfinished);
  - it has no translation, or a plural (numerus) form is empty, or it is marked unfinished;
  - its placeholders (%1 … %99, %n; %L1 counts as %1) differ between source and translation.
With --plurals-only (the English file, whose source text is the translation), a message with
no translation passes unless it is a plural one: English needs its plural forms written out.

Usage: check_translations.py --lupdate PATH --root DIR [--plurals-only TS]... [TS]...
Exits 1 and names every offending message (context and source text) when anything fails.
"""

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

# What lupdate scans, relative to the repository; scripts/lib/update_translations.sh uses the
# same list and options.
SOURCES = ["ui", "src/app"]
LUPDATE_OPTIONS = ["-locations", "none", "-extensions", "qml,js,cpp,h", "-silent"]
# The include path, relative to the repository: the C++ includes "app/….h" from src/, and
# without it lupdate files tr() under the bare class name instead of exile::app::<Class>, the
# context the running app asks for.
INCLUDES = ["src"]

PLACEHOLDER = re.compile(r"%L?(\d{1,2}|n)")


def placeholders(text):
    return sorted(set("%" + m.group(1) for m in PLACEHOLDER.finditer(text or "")))


def check_file(ts, lupdate, root, plurals_only):
    """Returns the problems of one .ts file, one line each."""
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / ts.name
        shutil.copyfile(ts, copy)
        sources = [str(root / s) for s in SOURCES if (root / s).is_dir()]
        includes = [arg for i in INCLUDES for arg in ("-I", str(root / i))]
        run = subprocess.run([lupdate, *LUPDATE_OPTIONS, *includes, *sources, "-ts", str(copy)],
                             capture_output=True, text=True)
        if run.returncode != 0:
            return [f"lupdate failed ({run.returncode}): {run.stderr.strip()}"]
        try:
            tree = ET.parse(copy)
        except ET.ParseError as e:
            return [f"not valid XML after lupdate: {e}"]
        committed = {(c.findtext("name"), m.findtext("source"))
                     for c in ET.parse(ts).getroot().iter("context")
                     for m in c.iter("message")}

    for context in tree.getroot().iter("context"):
        name = context.findtext("name") or "?"
        for message in context.iter("message"):
            source = message.findtext("source") or ""
            where = f'{name}: "{source}"'
            translation = message.find("translation")
            kind = translation.get("type", "") if translation is not None else ""
            numerus = message.get("numerus") == "yes"
            if kind in ("vanished", "obsolete"):
                problems.append(f"{where}: no longer in the sources ({kind})")
                continue
            if (name, source) not in committed:
                problems.append(f"{where}: new in the sources, not in the file")
                continue
            if translation is None:
                problems.append(f"{where}: no translation")
                continue
            if numerus:
                forms = [f.text or "" for f in translation.iter("numerusform")]
            else:
                forms = [translation.text or ""]
            empty = not forms or any(not f.strip() for f in forms)
            if empty:
                if not plurals_only or numerus:
                    problems.append(f"{where}: not translated")
                continue
            if kind == "unfinished":
                problems.append(f"{where}: translated but marked unfinished")
            expected = placeholders(source)
            for form in forms:
                got = placeholders(form)
                if got != expected:
                    problems.append(f'{where}: placeholders {" ".join(expected) or "(none)"} in '
                                    f'the source but {" ".join(got) or "(none)"} in "{form}"')
    return problems


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lupdate", required=True)
    parser.add_argument("--root", required=True, type=Path)
    parser.add_argument("--plurals-only", action="append", default=[], type=Path)
    parser.add_argument("ts", nargs="*", type=Path)
    args = parser.parse_args()
    files = [(ts, False) for ts in args.ts] + [(ts, True) for ts in args.plurals_only]
    if not files:
        parser.error("no .ts file given")
    failed = False
    for ts, plurals_only in files:
        problems = check_file(ts, args.lupdate, args.root, plurals_only)
        if problems:
            failed = True
            print(f"{ts}: {len(problems)} problem(s):")
            for p in problems:
                print("  " + p)
        else:
            print(f"{ts}: complete and in step with {', '.join(SOURCES)}")
    if failed:
        print("Run scripts/lib/update_translations.sh, translate what it added (Qt Linguist, or "
              "the <translation> elements), and remove the type=\"unfinished\" marks.")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
