#!/usr/bin/env python3
"""Check the test references of docs/rfc6455.md.

Usage: check_rfc_refs.py <repo-root> [doc]

docs/rfc6455.md names the tests that check each requirement of RFC 6455 as
`path::name` in backticks. This script finds every such reference and checks
that the file exists (relative to the repo root) and that the name is there:

  * C and header files: the name occurs as a whole identifier (a cmocka test
    function, or a function of an interop runner such as ab_replay.c).
  * tests/test_autobahn.c::case_<id>: the cmocka test case_<id> is generated
    from the row with that id in tests/autobahn_cases.h; the id must be the
    first field of a row there ({"<id>", ... or AB_..._CODE("<id>", ...).
  * Python files: a function of that name is defined (def or async def), or
    the name is a key of a dict in the file that maps it to a function defined
    there (client_interop.py's CASES and TLS: "raw_frames": case_raw_frames).
  * JavaScript files: a function of that name is defined.
  * Anything else: the name occurs as a whole word.

A backticked path of the tree without a name (`tests/autobahn_cases.h`,
`examples/common/server.c`, `lib/`) must exist too.

Exit status 1 with every broken reference listed, or when the document holds
no reference at all; else 0 with the count. Python 3 standard library only.
"""

import os
import re
import sys

REF = re.compile(r"`([A-Za-z0-9_./-]+)::([A-Za-z0-9_.-]+)`")
PATH = re.compile(r"`((?:lib|include|examples|tests|docs|cmake)/[A-Za-z0-9_./-]*)`")
AUTOBAHN_TEST = "tests/test_autobahn.c"
AUTOBAHN_TABLE = "tests/autobahn_cases.h"


def whole_word(name, text):
    return re.search(r"(?<![A-Za-z0-9_])" + re.escape(name) + r"(?![A-Za-z0-9_])", text) is not None


def python_defs(text):
    return set(re.findall(r"^[ \t]*(?:async[ \t]+)?def[ \t]+([A-Za-z_][A-Za-z0-9_]*)[ \t]*\(", text, re.M))


def python_ok(name, text):
    defs = python_defs(text)
    if name in defs:
        return True
    # A dict key naming a case: "raw_frames": case_raw_frames,
    for value in re.findall(r"""["']""" + re.escape(name) + r"""["'][ \t]*:[ \t]*([A-Za-z_][A-Za-z0-9_]*)""", text):
        if value in defs:
            return True
    return False


def js_ok(name, text):
    n = re.escape(name)
    patterns = (
        r"\bfunction\*?[ \t]+" + n + r"[ \t]*\(",
        r"\b(?:const|let|var)[ \t]+" + n + r"[ \t]*=[ \t]*(?:async[ \t]+)?(?:function\b|\([^)]*\)[ \t]*=>|[A-Za-z_$][\w$]*[ \t]*=>)",
    )
    return any(re.search(p, text) for p in patterns)


def autobahn_ok(case_id, root):
    try:
        with open(os.path.join(root, AUTOBAHN_TABLE), encoding="utf-8", errors="replace") as f:
            table = f.read()
    except OSError:
        return False
    row = r"""(?:\{|\bAB_[A-Z_]+\()[ \t]*"%s"[ \t]*,""" % re.escape(case_id)
    return re.search(row, table) is not None


def check(root, path, name, cache):
    """Returns None when the reference holds, else the reason it does not."""
    if path.startswith("/") or ".." in path.split("/"):
        return "path must be relative to the repo root"
    full = os.path.join(root, path)
    if not os.path.isfile(full):
        return "no such file"
    if path == AUTOBAHN_TEST and name.startswith("case_"):
        case_id = name[len("case_"):]
        if autobahn_ok(case_id, root):
            return None
        return 'no row "%s" in %s' % (case_id, AUTOBAHN_TABLE)
    if full not in cache:
        with open(full, encoding="utf-8", errors="replace") as f:
            cache[full] = f.read()
    text = cache[full]
    if path.endswith(".py"):
        ok = python_ok(name, text)
        what = "no function (or case dict key) of that name"
    elif path.endswith((".js", ".mjs", ".cjs")):
        ok = js_ok(name, text)
        what = "no function of that name"
    elif path.endswith((".c", ".h")):
        ok = re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) is not None and whole_word(name, text)
        what = "no identifier of that name"
    else:
        ok = whole_word(name, text)
        what = "the name does not occur"
    return None if ok else what


def main(argv):
    if len(argv) not in (2, 3):
        print("usage: check_rfc_refs.py <repo-root> [doc]", file=sys.stderr)
        return 2
    root = argv[1]
    doc = argv[2] if len(argv) == 3 else os.path.join(root, "docs", "rfc6455.md")
    try:
        with open(doc, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError as e:
        print("check_rfc_refs: cannot read %s: %s" % (doc, e), file=sys.stderr)
        return 1
    cache = {}
    refs = 0
    paths = 0
    broken = []
    for lineno, line in enumerate(lines, 1):
        for m in REF.finditer(line):
            refs += 1
            path, name = m.group(1), m.group(2)
            why = check(root, path, name, cache)
            if why:
                broken.append("%s:%d: %s::%s: %s" % (doc, lineno, path, name, why))
        for m in PATH.finditer(line):
            paths += 1
            path = m.group(1)
            if ".." in path.split("/") or not os.path.exists(os.path.join(root, path)):
                broken.append("%s:%d: %s: no such file or directory" % (doc, lineno, path))
    if refs == 0:
        print("check_rfc_refs: no `path::name` reference found in %s" % doc, file=sys.stderr)
        return 1
    if broken:
        for b in broken:
            print(b, file=sys.stderr)
        print("check_rfc_refs: %d of %d references and paths broken" % (len(broken), refs + paths),
              file=sys.stderr)
        return 1
    distinct = len({m.group(0) for line in lines for m in REF.finditer(line)})
    print("check_rfc_refs: %d test references (%d distinct) and %d paths in %s, all found"
          % (refs, distinct, paths, doc))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
