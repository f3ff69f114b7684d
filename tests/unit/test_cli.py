import subprocess
import sys


def test_no_command_is_a_usage_error():
    proc = subprocess.run([sys.executable, "-m", "lvslite"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "usage: lvslite" in proc.stderr
