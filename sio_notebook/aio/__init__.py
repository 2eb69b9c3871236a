"""The asyncio front door: AsyncClient and friends, over the sans-I/O core."""

from .client import AsyncClient, ClientStatus, Reason
from .namespace import AsyncClientNamespace

__all__ = ["AsyncClient", "AsyncClientNamespace", "ClientStatus", "Reason"]
