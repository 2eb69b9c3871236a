"""The kernel the notebook tests start runs in the test environment itself.

A ``python3`` kernelspec found elsewhere (a user's or the system's Jupyter data folders)
would run another Python with other packages, and the kernel tests would then prove
nothing about this environment's stack. scripts/test-colab depends on this: Colab's
kernel is ipykernel 6.17.1 with IPython 7.34 and ipywidgets 7.7.1, and its kernel tests
must run on exactly those.
"""

from __future__ import annotations

import ast
import importlib.metadata
import sys

import pytest

from .kernel import Kernel

pytestmark = pytest.mark.timeout(120)

PACKAGES = ("ipykernel", "ipython", "ipywidgets", "jupyter_client", "traitlets", "pandas", "aiohttp")


def test_the_kernel_runs_this_python_and_these_packages(kernel: Kernel) -> None:
    reply = kernel.ok(
        "import sys, importlib.metadata as _md\n"
        f"(sys.prefix, sys.version_info[:2], {{p: _md.version(p) for p in {PACKAGES!r}}})"
    )
    prefix, version, packages = ast.literal_eval(reply.result())
    assert prefix == sys.prefix
    assert version == tuple(sys.version_info[:2])
    assert packages == {p: importlib.metadata.version(p) for p in PACKAGES}
