"""The thread front door: Client, a facade over AsyncClient on a private loop thread."""

from .client import Client
from .namespace import ClientNamespace

__all__ = ["Client", "ClientNamespace"]
