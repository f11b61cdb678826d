#!/usr/bin/env python3
"""Layer check: every #include in src/ and examples/ must be one its target may use.

The rules are the table in docs/architecture.md ("Layers"), written out below. Keep the two
in step: a target, a folder or an allowed dependency added there is added here.

Checked for every file:
  1. A quoted include ("x/y.h") names a header of a known target, and that target is the
     file's own or one the file's target may use (USES). Some targets may use only a few
     headers of another (ONLY_HEADERS): the relay wire takes HKDF and the keyed hash from the
     crypto core, never the ratchet.
  2. A system include (<...>) belongs to a library the target may use (LIBRARIES); the C++
     and POSIX headers are open to everyone.
  3. Private headers stay private: a `detail/` header is included only by files of its own
     target, and never by a public header (a header outside `detail/`), even of its own
     target.

Usage: check_layers.py [ROOT]   (default: the repository holding this script)
       check_layers.py --self-test
Exits 1 and prints one line per violation when it finds any.
"""

import re
import sys
import tempfile
from pathlib import Path

# Folder (relative to the repository) -> target. The longest matching folder wins.
FOLDERS = {
    "src/common": "exile_common",
    "src/crypto": "exile_crypto",
    "src/sqlite": "exile_sqlite",
    "src/store": "exile_store",
    "src/relay/wire": "exile_relay_wire",
    "src/relay/client": "exile_relay_client",
    "src/relay": "exile_relay_core",
    "src/relay/main.cpp": "exile-relay",
    "src/engine": "exile_engine",
    "src/cli": "exile-cli",
    "src/app": "exile",
    "examples": "exile-relay-chat-demo",
}

# Quoted include prefix -> target that owns the header.
HEADERS = {
    "common/": "exile_common",
    "crypto/": "exile_crypto",
    "sqlite/": "exile_sqlite",
    "store/": "exile_store",
    "relay/wire/": "exile_relay_wire",
    "relay/client/": "exile_relay_client",
    "relay/": "exile_relay_core",
    "engine/": "exile_engine",
    "cli/": "exile-cli",
    "app/": "exile",
    "relay.pb.h": "exile_proto",
    "state.pb.h": "exile_proto",
    "message.pb.h": "exile_proto",
    "proto_wipe.h": "exile_proto",
}

# The table of docs/architecture.md: which targets (besides its own) and which outside
# libraries a target's files may include.
#
#   target                   may use (targets)                          libraries
RULES = {
    "exile_common":          ([],                                         ["sodium"]),
    "exile_crypto":          (["exile_common", "exile_proto"],            ["sodium"]),
    "exile_sqlite":          (["exile_common"],                           ["sqlite"]),
    "exile_store":           (["exile_sqlite", "exile_crypto", "exile_common", "exile_proto"],
                              ["sqlite", "sodium"]),
    "exile_relay_wire":      (["exile_common", "exile_proto", "exile_crypto"], ["sodium"]),
    "exile_relay_core":      (["exile_relay_wire", "exile_sqlite", "exile_common", "exile_proto"],
                              ["boost", "openssl", "sqlite", "sodium"]),
    "exile-relay":           (["exile_relay_core", "exile_relay_wire", "exile_common"], []),
    "exile_relay_client":    (["exile_relay_wire", "exile_common", "exile_proto"],
                              ["qt_core_network"]),
    "exile_engine":          (["exile_relay_client", "exile_relay_wire", "exile_store",
                               "exile_sqlite", "exile_crypto", "exile_common", "exile_proto"],
                              ["sodium", "qrencode", "qt_core_network"]),
    "exile-cli":             (["exile_engine", "exile_common"], ["qt_core_network"]),
    "exile":                 (["exile_engine", "exile_common"],
                              ["qt_core_network", "qt_gui", "qrencode"]),
    "exile-relay-chat-demo": (["exile_relay_client", "exile_relay_wire", "exile_crypto",
                               "exile_common", "exile_proto"],
                              ["qt_core_network"]),
}

# Where a target may use only some headers of another: (user, owner) -> allowed headers.
ONLY_HEADERS = {
    # The command authenticators: HKDF and the keyed hash, not the ratchet (relay-protocol.md §3).
    ("exile_relay_wire", "exile_crypto"): {"crypto/hkdf.h", "crypto/keyed_hash.h"},
    # The engine's door and its Qt host; the link parser and the QR code only through the Engine.
    ("exile-cli", "exile_engine"): {"engine/engine.h", "engine/qt_host.h"},
    # The app likewise: everything it does is an engine call (the app holds no logic of its own).
    ("exile", "exile_engine"): {"engine/engine.h", "engine/qt_host.h"},
}

# System include -> library. Anything not listed here and not a C++/POSIX header is an error,
# so that a new library is a decision written into this table.
LIBRARIES = [
    (re.compile(r"^sodium(\.h|/)"), "sodium"),
    (re.compile(r"^sqlite3\.h$"), "sqlite"),
    (re.compile(r"^boost/"), "boost"),
    (re.compile(r"^openssl/"), "openssl"),
    (re.compile(r"^google/protobuf/"), "protobuf"),
    (re.compile(r"^qrencode\.h$"), "qrencode"),
    # QtGui, QtQuick, QtQml and QtWidgets: nothing below the app may use them.
    (re.compile(r"^(QtGui|QtQuick|QtQml|QtWidgets)/|^Q(Gui|Quick|Qml|Widget|Image|Pixmap|Window)"),
     "qt_gui"),
    (re.compile(r"^(QtCore|QtNetwork|QtWebSockets)/|^Q[A-Z]\w*$|^q\w+\.h$"), "qt_core_network"),
]
POSIX = re.compile(r"^(unistd|fcntl|signal|poll|dirent|errno|netdb|pthread)\.h$|^(sys|arpa|netinet)/")

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.MULTILINE)


def target_of_file(rel):
    best = None
    for folder, target in FOLDERS.items():
        if rel == folder or rel.startswith(folder + "/"):
            if best is None or len(folder) > len(best[0]):
                best = (folder, target)
    return best[1] if best else None


def target_of_header(header):
    best = None
    for prefix, target in HEADERS.items():
        if header == prefix or (prefix.endswith("/") and header.startswith(prefix)):
            if best is None or len(prefix) > len(best[0]):
                best = (prefix, target)
    return best[1] if best else None


def library_of(header):
    for pattern, library in LIBRARIES:
        if pattern.search(header):
            return library
    if POSIX.search(header) or re.fullmatch(r"[a-z_]+(\.h)?", header):
        return "std"  # the C++ standard library and the C/POSIX headers
    return None


def is_private(path):
    return "detail" in Path(path).parts[:-1]


def check_file(root, path):
    rel = path.relative_to(root).as_posix()
    target = target_of_file(rel)
    if target is None:
        return []
    uses, libraries = RULES[target]
    public_header = path.suffix == ".h" and not is_private(rel)
    problems = []
    text = path.read_text(encoding="utf-8", errors="replace")
    for match in INCLUDE.finditer(text):
        kind, header = match.groups()
        line = text.count("\n", 0, match.start()) + 1
        where = f"{rel}:{line}: ({target}) includes {kind}{header}{'>' if kind == '<' else kind}"
        if kind == '"':
            owner = target_of_header(header)
            if owner is None:
                problems.append(f"{where}: a header of no known target (add it to HEADERS)")
                continue
            if owner != target and owner not in uses:
                problems.append(f"{where}: {target} may not use {owner}")
                continue
            only = ONLY_HEADERS.get((target, owner))
            if only is not None and header not in only:
                problems.append(f"{where}: {target} may use only {', '.join(sorted(only))} "
                                f"of {owner}")
                continue
            if is_private(header):
                if owner != target:
                    problems.append(f"{where}: a private (detail/) header of {owner}")
                elif public_header:
                    problems.append(f"{where}: a public header includes a private (detail/) "
                                    f"header")
        else:
            library = library_of(header)
            if library is None:
                problems.append(f"{where}: a library of no known kind (add it to LIBRARIES)")
            elif library != "std" and library not in libraries:
                problems.append(f"{where}: {target} may not use {library}")
    return problems


def check_tree(root):
    root = Path(root)
    problems = []
    for top in ("src", "examples"):
        for path in sorted((root / top).rglob("*")):
            if path.suffix in (".h", ".cpp") and path.is_file():
                problems += check_file(root, path)
    return problems


def self_test():
    """Runs the check on a small tree of good files and of bad ones, one bad include each."""
    good = {
        "src/relay/good.cpp": '#include "relay/wire/wire.h"\n#include <boost/asio/post.hpp>\n'
                              '#include "relay/detail/ids.h"\n#include <vector>\n',
        "src/relay/detail/ok.h": '#include "relay/detail/ids.h"\n',
        "src/cli/good.cpp": '#include "engine/engine.h"\n#include "engine/qt_host.h"\n'
                            '#include "common/result.h"\n#include "cli/command.h"\n'
                            '#include <QJsonObject>\n#include <termios.h>\n',
        "src/engine/good.cpp": '#include "relay/client/relay_connection.h"\n#include <qrencode.h>\n'
                               '#include <QUrl>\n#include <arpa/inet.h>\n',
    }
    bad = {
        "src/relay/bad_store.cpp": '#include "store/database.h"\n',
        "src/relay/bad_detail.cpp": '#include "sqlite/detail/x.h"\n',
        "src/relay/bad_public.h": '#include "relay/detail/ids.h"\n',
        # exile-relay is its own target, not exile_relay_core: Boost only through the core.
        "src/relay/main.cpp": '#include <boost/asio.hpp>\n',
        "src/relay/wire/bad_ratchet.cpp": '#include "crypto/session.h"\n',
        "src/relay/wire/bad_boost.cpp": '#include <boost/asio.hpp>\n',
        "src/crypto/bad_qt.cpp": '#include <QObject>\n',
        "src/crypto/bad_sqlite.cpp": '#include <sqlite3.h>\n',
        "src/relay/client/bad_gui.cpp": '#include <QGuiApplication>\n',
        "src/relay/client/bad_store.cpp": '#include "store/repo_sessions.h"\n',
        "src/relay/client/bad_engine.cpp": '#include "engine/invitation.h"\n',
        "src/engine/bad_gui.cpp": '#include <QImage>\n',
        "src/cli/bad_store.cpp": '#include "store/profile_store.h"\n',
        "src/cli/bad_crypto.cpp": '#include "crypto/session.h"\n',
        "src/cli/bad_relay_client.cpp": '#include "relay/client/relay_connection.h"\n',
        "src/cli/bad_engine_internal.cpp": '#include "engine/invitation.h"\n',
        "src/cli/bad_gui.cpp": '#include <QGuiApplication>\n',
        "src/cli/bad_sodium.cpp": '#include <sodium.h>\n',
        "src/common/bad_engine.cpp": '#include "engine/engine.h"\n',
        "src/common/bad_unknown.cpp": '#include "gadget/gadget.h"\n',
        "src/common/bad_library.cpp": '#include <curl/curl.h>\n',
    }
    with tempfile.TemporaryDirectory() as tmp:
        for rel, text in {**good, **bad}.items():
            (Path(tmp) / rel).parent.mkdir(parents=True, exist_ok=True)
            (Path(tmp) / rel).write_text(text)
        problems = check_tree(tmp)
    flagged = {p.split(":")[0] for p in problems}
    expected = set(bad)
    ok = flagged == expected and len(problems) == len(expected)
    for p in problems:
        print(f"  found: {p}")
    if not ok:
        print(f"self-test FAILED: expected exactly one problem in each of {sorted(expected)}, "
              f"flagged {sorted(flagged)}")
        return 1
    print(f"self-test passed: {len(problems)} bad includes found, the good files pass")
    return 0


def main(argv):
    if len(argv) > 1 and argv[1] == "--self-test":
        return self_test()
    root = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parents[2]
    problems = check_tree(root)
    for p in problems:
        print(p)
    if problems:
        print(f"layer check: {len(problems)} include(s) break docs/architecture.md's table")
        return 1
    print("layer check: every include follows docs/architecture.md's table")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
