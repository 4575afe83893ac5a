"""Every npm package the tests install must run on Debian 12's own Node.js.

usage: check_node_engines.py PACKAGE_LOCK_JSON

On a fresh Debian 12, tests/run.sh installs Debian's nodejs (18.19 in
bookworm's first point releases, 18.20 since). A caret range in package.json
lets a new release of a package in; when that release needs Node 20
(playwright-core 1.62 did), `npm ci` only warns, and every test that drives
a browser then fails on such a machine while passing on one with a newer
Node. This reads the "engines" field npm records in the lockfile for each
package and fails naming any package whose range excludes that Node.
"""

import json
import re
import sys

OLDEST_NODE = (18, 19, 0)


def version(text):
    """'18', '18.17' or 'v18.17.0' -> (18, 17, 0); x/* parts are 0."""
    parts = [int(p) if p.isdigit() else 0 for p in text.lstrip("v=").split(".")[:3]]
    return tuple(parts + [0] * (3 - len(parts)))


def satisfies(have, comparator):
    """One comparator of a semver range: >=1.2, <3, =2, ^1.2, ~1.2, 1.x, *."""
    m = re.fullmatch(r"(>=|<=|>|<|=|\^|~)?\s*v?([0-9xX*][0-9xX*.]*)", comparator)
    if not m:
        raise ValueError(f"cannot read the version range part {comparator!r}")
    op, text = m.group(1) or "", m.group(2)
    if text in ("*", "x", "X"):
        return True
    want = version(text)
    if op == ">=":
        return have >= want
    if op == ">":
        return have > want
    if op == "<=":
        return have <= want
    if op == "<":
        return have < want
    # How many leading parts are numbers: "18.x" and "18" pin the major only.
    given = len(re.match(r"[0-9]+(?:\.[0-9]+)*", text).group(0).split("."))
    if op == "^":
        major = next((i for i, n in enumerate(want) if n), 2)
        return have >= want and have[:major + 1] == want[:major + 1]
    if op == "~":
        return have >= want and have[:min(given, 2)] == want[:min(given, 2)]
    return have[:given] == want[:given]  # "18", "18.x", "=18.17.0"


def range_allows(have, spec):
    """A whole range: alternatives joined by ||, each of space-separated
    comparators that must all hold."""
    for alternative in spec.split("||"):
        comparators = re.sub(r"(>=|<=|>|<|=|\^|~)\s+", r"\1", alternative.strip()).split()
        if all(satisfies(have, c) for c in comparators or ["*"]):
            return True
    return False


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        lock = json.load(f)
    oldest = ".".join(map(str, OLDEST_NODE))
    failed = 0
    checked = 0
    for path, pkg in sorted(lock.get("packages", {}).items()):
        spec = (pkg.get("engines") or {}).get("node") if isinstance(pkg.get("engines"), dict) else None
        if not path or not spec:
            continue
        checked += 1
        name = path.rsplit("node_modules/", 1)[-1]
        if range_allows(OLDEST_NODE, spec):
            print(f"ok: {name} {pkg.get('version')} runs on Node {oldest} (engines: {spec})")
        else:
            failed += 1
            print(f"FAIL: {name} {pkg.get('version')} wants Node {spec}; Debian 12 has {oldest}: "
                  f"pin an older release in tests/package.json")
    if checked == 0:
        print("FAIL: no package in the lockfile states its engines; is this the right file?")
        return 1
    print(f"summary: {checked} packages checked, {failed} need a newer Node than Debian 12's")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
