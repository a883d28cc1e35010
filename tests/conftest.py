"""Fixtures every test directory may use."""
import pytest


@pytest.fixture
def split_threads(monkeypatch):
    """ember's threads (`ember.backend.threads.parallel`) made to split even small work, whatever
    threads other tests left running (which stop the first region from quieting OpenBLAS: speed only);
    returns the list of part counts of the regions that ran, for the test to check that some did."""
    from ember.backend import threads
    controller = threads._controller()
    libs = [threads._count_functions(lib.dynlib) for lib in controller.lib_controllers if lib.user_api == "blas"]
    assert libs and all(libs), "NumPy's BLAS is OpenBLAS in the test environment"
    monkeypatch.setattr(threads, "MIN_PART", 1)
    monkeypatch.setitem(threads._pool, "blas", libs)
    regions, run = [], threads._run
    monkeypatch.setattr(threads, "_run", lambda body, n, k, fns: regions.append(k) or run(body, n, k, fns))
    return regions
