"""The package version: the one place it is written.

``pyproject.toml`` reads it (``[tool.setuptools.dynamic]``) for the wheel's metadata, and
``sio_notebook.__version__`` re-exports it, so the two can never disagree. Bump it together
with a new section in CHANGELOG.md.
"""

__version__ = "0.1.0"
