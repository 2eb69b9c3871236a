"""The polling → WebSocket upgrade (docs/protocol.md §1.6) as a state machine, pure.

The I/O layer opens the WebSocket (with the polling session's sid) and then asks this
object what to write and whether polling may go on::

    upgrade = Upgrade()
    ws.write(upgrade.start())                 # step 2: "2probe"
    upgrade.receive(await ws.read_one())      # "3probe", else UpgradeFailed
    while upgrade.pausing: ...                # step 3: no new GET or POST; let them drain
    ws.write(upgrade.switch())                # step 4: "5"; everything goes over the WebSocket

Any failure (``fail()``) leaves the session on polling, as the JS client does.
"""

from __future__ import annotations

from enum import Enum

from ..exceptions import LocalProtocolError, TransportError
from .engineio import PROBE, PROBE_ANSWER, UPGRADE, Frame

__all__ = ["Upgrade", "UpgradeFailed", "UpgradePhase"]


class UpgradeFailed(TransportError):
    """The server's answer to the probe was not ``3probe``: stay on polling."""


class UpgradePhase(Enum):
    IDLE = "idle"
    PROBING = "probing"  # 2probe sent, waiting for 3probe
    PAUSING = "pausing"  # probe answered: polling drains, no new request
    UPGRADED = "upgraded"  # 5 sent: the WebSocket carries everything
    FAILED = "failed"  # staying on polling


_MOVES = {
    ("start", UpgradePhase.IDLE): UpgradePhase.PROBING,
    ("receive", UpgradePhase.PROBING): UpgradePhase.PAUSING,
    ("switch", UpgradePhase.PAUSING): UpgradePhase.UPGRADED,
}


class Upgrade:
    """One upgrade attempt (see the module docstring)."""

    __slots__ = ("phase",)

    def __init__(self) -> None:
        self.phase = UpgradePhase.IDLE

    def _move(self, step: str) -> None:
        after = _MOVES.get((step, self.phase))
        if after is None:
            raise LocalProtocolError(f"can't {step} the upgrade when it is {self.phase.value}")
        self.phase = after

    def start(self) -> list[Frame]:
        """Step 2: the probe to write on the new WebSocket."""
        self._move("start")
        return [PROBE]

    def receive(self, frame: Frame) -> None:
        """The WebSocket's first frame: it must answer the probe (UpgradeFailed if not)."""
        if frame != PROBE_ANSWER:
            self.phase = UpgradePhase.FAILED
            raise UpgradeFailed(f"unexpected answer to the upgrade probe: {str(frame)[:40]!r}")
        self._move("receive")

    @property
    def pausing(self) -> bool:
        """Step 3: while True, polling issues no new GET or POST."""
        return self.phase is UpgradePhase.PAUSING

    def switch(self) -> list[Frame]:
        """Step 4 (polling has drained): the upgrade packet; the WebSocket is the transport now."""
        self._move("switch")
        return [UPGRADE]

    def fail(self) -> None:
        """Any error, or the connection closed meanwhile: polling carries on."""
        if self.phase is not UpgradePhase.UPGRADED:
            self.phase = UpgradePhase.FAILED
