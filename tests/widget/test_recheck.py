"""Auto re-check on its own: one run per pause in painting, never beside a running one."""

from __future__ import annotations

from napari_hcr.widget._recheck import AutoRecheck


def test_strokes_restart_the_debounce_and_one_recheck_follows(qtbot):
    recheck = AutoRecheck(lambda: False)
    recheck.configure(True, 150)
    fired: list[int] = []
    recheck.due.connect(lambda: fired.append(1))
    for _ in range(3):
        recheck.painted()
        qtbot.wait(50)
    assert fired == []
    qtbot.waitUntil(lambda: fired == [1], timeout=2000)
    qtbot.wait(300)
    assert fired == [1]


def test_a_recheck_due_during_a_run_waits_for_it(qtbot):
    busy = {"now": True}
    recheck = AutoRecheck(lambda: busy["now"])
    recheck.configure(True, 10)
    fired: list[int] = []
    recheck.due.connect(lambda: fired.append(1))
    recheck.painted()
    qtbot.waitUntil(lambda: recheck.pending, timeout=2000)
    assert fired == []
    busy["now"] = False
    recheck.run_finished()
    qtbot.waitUntil(lambda: fired == [1], timeout=2000)
    assert not recheck.pending


def test_disabled_recheck_ignores_strokes(qtbot):
    recheck = AutoRecheck(lambda: False)
    recheck.configure(False, 10)
    fired: list[int] = []
    recheck.due.connect(lambda: fired.append(1))
    recheck.painted()
    qtbot.wait(100)
    assert fired == [] and not recheck.timer.isActive()
