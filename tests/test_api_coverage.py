"""The API coverage report (`python -m tests.api_coverage`) runs, and its inputs are honest: every
omission has a reason and matches a real reference name; every name a test declares in `COVERS`
exists both in the reference and in ember."""
import ast
import os

import pytest

from tests import api_coverage as cov

os.environ.setdefault("KERAS_BACKEND", "torch")


@pytest.fixture(scope="module")
def rows():
    return cov.report()


def test_report_covers_every_namespace(rows, capsys):
    assert set(rows) == set(cov.NAMESPACES)
    for ns, r in rows.items():
        assert 0 <= r["covered"] <= r["present"] <= r["total"], ns
        assert len(r["missing"]) == r["total"] - r["present"], ns
    narrow = rows["torch"]["narrow"]
    assert narrow["total"] >= rows["torch"]["total"] and narrow["covered"] >= rows["torch"]["covered"]
    cov.print_report(rows)
    out = capsys.readouterr().out
    assert "keras.layers" in out and "torch (narrow)" in out


def test_each_omission_has_a_reason_and_matches_a_reference_name():
    import fnmatch
    for ns, pattern, reason in cov.read_omissions():
        assert ns in cov.NAMESPACES, f"omission for unknown namespace {ns}"
        assert len(reason) > 10, f"{ns} {pattern}: give a real reason"
        names = cov.public_names(cov.resolve(cov.NAMESPACES[ns][0]), modules=ns.startswith("keras."))
        assert any(fnmatch.fnmatchcase(n, pattern) for n in names), f"omission {ns} {pattern} matches nothing"


def test_declared_covers_exist_in_ember_and_the_reference():
    for path in sorted(cov.TESTS.rglob("test_*.py")):
        tree = ast.parse(path.read_text())
        scan = cov.Scanner(tree)
        scan.visit(tree)
        for ns, names in scan.covers.items():
            ref_path, ember_path = cov.NAMESPACES.get(ns, (ns, "ember." + ns))
            ref, ours = cov.resolve(ref_path), cov.resolve(ember_path)
            for name in names:
                assert hasattr(ref, name), f"{path.name}: COVERS {ns}.{name}, which the reference does not have"
                assert hasattr(ours, name), f"{path.name}: COVERS {ns}.{name}, which ember does not have"
            assert scan.uses_reference, f"{path.name} declares COVERS but never uses the reference"
