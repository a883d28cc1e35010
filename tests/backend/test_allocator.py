"""ember sets glibc's malloc thresholds at import (Linux), and leaves them alone when asked."""
import subprocess
import sys

import pytest

CHECK = "import ember.backend.allocator as a; print(a.TUNED)"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt is Linux-only")
@pytest.mark.parametrize("env, expected", [({}, "True"), ({"EMBER_MALLOC_TUNE": "0"}, "False")])
def test_malloc_thresholds_set_unless_opted_out(env, expected, monkeypatch):
    monkeypatch.delenv("EMBER_MALLOC_TUNE", raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    out = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == expected
