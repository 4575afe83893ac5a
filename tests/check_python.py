"""pyflakes over every Python file of the tests and examples.

usage: check_python.py PROJECT_ROOT

A test script is code that nobody runs by hand: a name defined twice, or a
coroutine called where a function of the same name was meant, fails no
check, it only checks less. interop_chat_churn's burst of 10,000 messages
did not run for a day that way (an async case took its name). Exits 77
(skipped) when pyflakes is not installed, except on CI (CI set), where
tests/run.sh installs it and its absence is a failure.
"""

import os
import sys

DEBIAN_PYTHON = "/usr/bin/python3"

try:
    from pyflakes import api, reporter
except ImportError:
    # Debian's python3-pyflakes is for Debian's interpreter; the python3
    # first on PATH (which ctest got where no interop test found one) may
    # be another.
    if os.path.realpath(sys.executable) != os.path.realpath(DEBIAN_PYTHON) and \
            os.path.exists(DEBIAN_PYTHON):
        os.execv(DEBIAN_PYTHON, [DEBIAN_PYTHON] + sys.argv)
    print("pyflakes is not installed (Debian: python3-pyflakes)")
    sys.exit(1 if os.environ.get("CI") else 77)

SKIP_DIRS = {"node_modules", "__pycache__", ".git"}
top = sys.argv[1]
files = []
for sub in ("tests", "examples"):
    for root, dirs, names in os.walk(os.path.join(top, sub)):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("build"))
        files += [os.path.join(root, n) for n in sorted(names) if n.endswith(".py")]
report = reporter.Reporter(sys.stdout, sys.stderr)
problems = sum(api.checkPath(path, report) for path in files)
print(f"{len(files)} Python files, {problems} problems")
sys.exit(1 if problems or not files else 0)
