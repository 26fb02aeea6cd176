"""runtime.prepare_tensorflow: TensorFlow's oneDNN CPU kernels on unless the user chose."""

import os
import platform
import subprocess
import sys

import pytest

pytest.importorskip("tensorflow")

PROBE = """
from colorization.core import runtime
runtime.prepare_tensorflow()
import os
from tensorflow.python.util import _pywrap_util_port as port
print(os.environ.get("TF_ENABLE_ONEDNN_OPTS"), port.IsMklEnabled())
"""


@pytest.mark.parametrize("chosen, expected", [(None, "1 True"), ("0", "0 False"),
                                              ("1", "1 True")])
def test_onednn_on_unless_the_user_chose(chosen, expected):
    env = {k: v for k, v in os.environ.items() if k != "TF_ENABLE_ONEDNN_OPTS"}
    if chosen is not None:
        env["TF_ENABLE_ONEDNN_OPTS"] = chosen
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                         env=env, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    chosen_value, enabled = out.stdout.strip().splitlines()[-1].split()
    assert chosen_value == expected.split()[0]
    if platform.machine().lower() in ("x86_64", "amd64"):  # TensorFlow's x86 builds have oneDNN
        assert enabled == expected.split()[1]


def test_nothing_is_set_once_tensorflow_is_loaded(monkeypatch):
    from colorization.core import runtime

    monkeypatch.delenv("TF_ENABLE_ONEDNN_OPTS", raising=False)
    runtime.use_onednn()  # the tests' process imported TensorFlow already: too late to count
    assert "TF_ENABLE_ONEDNN_OPTS" not in os.environ
