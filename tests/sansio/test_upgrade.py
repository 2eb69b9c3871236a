"""§1.6 upgrade steps, pure: probe, answer, pause, switch; failures stay on polling."""

from __future__ import annotations

import pytest

from sio_notebook.exceptions import LocalProtocolError, TransportError
from sio_notebook.sansio.upgrade import Upgrade, UpgradeFailed, UpgradePhase


def test_the_happy_path() -> None:
    upgrade = Upgrade()
    assert not upgrade.pausing
    assert upgrade.start() == ["2probe"]
    assert upgrade.phase is UpgradePhase.PROBING and not upgrade.pausing
    upgrade.receive("3probe")
    assert upgrade.pausing  # step 3: polling drains, issues nothing new
    assert upgrade.switch() == ["5"]
    assert upgrade.phase is UpgradePhase.UPGRADED and not upgrade.pausing


@pytest.mark.parametrize("answer", ["3", "3prob", "4probe", b"3probe", "6"])
def test_a_wrong_probe_answer_fails_the_upgrade(answer: str | bytes) -> None:
    upgrade = Upgrade()
    upgrade.start()
    with pytest.raises(UpgradeFailed, match="unexpected answer to the upgrade probe"):
        upgrade.receive(answer)
    assert upgrade.phase is UpgradePhase.FAILED and not upgrade.pausing
    assert issubclass(UpgradeFailed, TransportError)  # the I/O layer's "stay on polling" errors


def test_steps_out_of_order_are_refused() -> None:
    upgrade = Upgrade()
    with pytest.raises(LocalProtocolError, match="can't switch the upgrade when it is idle"):
        upgrade.switch()
    upgrade.start()
    with pytest.raises(LocalProtocolError, match="can't start the upgrade when it is probing"):
        upgrade.start()
    with pytest.raises(LocalProtocolError, match="can't switch the upgrade when it is probing"):
        upgrade.switch()


def test_fail_while_pausing_resumes_polling_but_not_after_the_switch() -> None:
    upgrade = Upgrade()
    upgrade.start()
    upgrade.receive("3probe")
    upgrade.fail()
    assert upgrade.phase is UpgradePhase.FAILED and not upgrade.pausing
    done = Upgrade()
    done.start()
    done.receive("3probe")
    done.switch()
    done.fail()  # a later error cannot undo a switch
    assert done.phase is UpgradePhase.UPGRADED
