"""Health of one real as a pure state machine over check results: unknown -> up / down.

`rise` successes in a row bring a real up, `fall` failures in a row take it down (keepalived's
retry, ldirectord's failurecount, plus a separate rise count: docs/reference/control-planes.md#health-checks).
The first result out of "unknown" decides at once: at start-up
reals enter as soon as they answer (docs/config.md#health-checks), and a real that has never answered is
not in the table, so there is nothing to hold it in for. No I/O, no clock: the daemon feeds
it results and acts on `changed`.
"""
from __future__ import annotations

from lvslite.model import Record

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotation names only: importing typing costs time and RSS
    from typing import Tuple

UNKNOWN, UP, DOWN = "unknown", "up", "down"


class Health(Record):
    __slots__ = ()
    _fields = ("state", "streak", "reason")
    # streak: results in a row agreeing with the last: > 0 successes, < 0 failures
    # reason: the last result's reason

    def __new__(cls, state: str = UNKNOWN, streak: int = 0, reason: str = ""):
        return tuple.__new__(cls, (state, streak, reason))


INITIAL = Health()


def update(health: Health, result, rise: int = 1, fall: int = 1) -> Tuple[Health, bool]:
    """The health after `result` (anything with .ok and .reason), and whether `state`
    changed. The streak is capped at max(rise, fall) so a long run keeps a small int."""
    cap = max(rise, fall, 1)
    if result.ok:
        streak = min(health.streak + 1, cap) if health.streak > 0 else 1
        target, need = UP, rise
    else:
        streak = max(health.streak - 1, -cap) if health.streak < 0 else -1
        target, need = DOWN, fall
    state = health.state
    if state != target and (state == UNKNOWN or abs(streak) >= need):
        state = target
    return Health(state, streak, result.reason), state != health.state
