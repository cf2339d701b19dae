"""CI runs the README's test line, verbatim, and that line tests both store engines."""

from __future__ import annotations

import re
import shlex

import pytest

from tests.unix_users import CHECKOUT

pytestmark = pytest.mark.engine_free  # opens no store

README_LINE = re.compile(r"Run the tests .*?```sh\n(.*?)\n```", re.S)


def readme_test_line() -> str:
    found = README_LINE.search((CHECKOUT / "README.md").read_text(encoding="utf-8"))
    assert found, "README.md has no test line under 'Run the tests'"
    return found.group(1)


def test_ci_runs_exactly_the_readme_test_line() -> None:
    ci = (CHECKOUT / ".ci/run").read_text(encoding="utf-8").splitlines()
    assert readme_test_line() in ci, ".ci/run does not run the README's test line verbatim"


def test_the_test_line_runs_the_whole_suite_on_both_engines() -> None:
    steps = [shlex.split(step) for step in readme_test_line().split("&&")]
    installed = next(step for step in steps if step[:2] == ["apt-get", "install"])
    assert "postgresql" in installed
    passes = [step for step in steps if step[:3] == ["python", "-m", "pytest"]]
    backends = sorted(next((a.split("=", 1)[1] for a in p if a.startswith("--backend=")),
                           "sqlite") for p in passes)
    assert backends == ["postgresql", "sqlite"]
    for argv in passes:  # the whole suite: no paths, no deselection, no marker filter
        assert not [a for a in argv[3:] if not a.startswith("-") and a not in
                    ("no:cacheprovider", "2", "loadgroup")], argv
        assert not {"-k", "-m", "--deselect", "--ignore"} & set(argv[3:]), argv
        assert "--dist" in argv and argv[argv.index("--dist") + 1] == "loadgroup", (
            "the server-install tests are grouped for one worker; --dist loadgroup keeps them so")
