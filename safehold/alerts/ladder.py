"""The escalation ladder as pure decisions: which step runs next, and when.

Nothing here reads the clock or the database; the worker applies the decisions.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Target:
    """Who a step tells: see alerts.models.TargetKind."""

    kind: str
    member_id: uuid.UUID | None = None
    compartment_id: uuid.UUID | None = None
    role: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, str]) -> Target:
        def as_id(key: str) -> uuid.UUID | None:
            return uuid.UUID(data[key]) if data.get(key) else None

        return cls(
            kind=data["kind"],
            member_id=as_id("member"),
            compartment_id=as_id("compartment"),
            role=data.get("role") or None,
        )

    def to_json(self) -> dict[str, str]:
        data = {"kind": self.kind}
        if self.member_id:
            data["member"] = str(self.member_id)
        if self.compartment_id:
            data["compartment"] = str(self.compartment_id)
        if self.role:
            data["role"] = self.role
        return data


@dataclass(frozen=True)
class Rung:
    position: int
    wait: datetime.timedelta
    targets: tuple[Target, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Route:
    """A ladder of its own for one alert about incident work, in place of the
    compartment's policy: named members, in order. Stored on the alert as ids."""

    compartment_id: uuid.UUID
    rungs: tuple[Rung, ...]
    repeat_from: int = 1

    def to_json(self) -> dict[str, object]:
        return {
            "compartment": str(self.compartment_id),
            "repeat_from": self.repeat_from,
            "rungs": [
                {
                    "position": rung.position,
                    "wait_seconds": int(rung.wait.total_seconds()),
                    "targets": [target.to_json() for target in rung.targets],
                }
                for rung in self.rungs
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Route:
        rungs = data["rungs"]
        assert isinstance(rungs, list)
        return cls(
            compartment_id=uuid.UUID(str(data["compartment"])),
            repeat_from=int(str(data["repeat_from"])),
            rungs=tuple(
                Rung(
                    int(rung["position"]),
                    datetime.timedelta(seconds=int(rung["wait_seconds"])),
                    tuple(Target.from_json(t) for t in rung["targets"]),
                )
                for rung in rungs
            ),
        )

    @classmethod
    def to_members(
        cls,
        compartment_id: uuid.UUID,
        steps: Sequence[tuple[uuid.UUID, datetime.timedelta]],
        *,
        repeat_from: int = 1,
    ) -> Route:
        """Return a route telling one member per step, each waiting its time."""
        return cls(
            compartment_id,
            tuple(
                Rung(position, wait, (Target("member", member_id=member_id),))
                for position, (member_id, wait) in enumerate(steps, start=1)
            ),
            repeat_from,
        )


# Used where a compartment has no policy of its own: the coordinator first, then the
# compartment's coordinators and whoever is on duty, then its admins; repeat from 2.
DEFAULT_LADDER: tuple[Rung, ...] = (
    Rung(1, datetime.timedelta(minutes=10), (Target("coordinator"),)),
    Rung(
        2,
        datetime.timedelta(minutes=15),
        (Target("on_duty"), Target("role", role="coordinator")),
    ),
    Rung(3, datetime.timedelta(minutes=30), (Target("role", role="admin"),)),
)
DEFAULT_REPEAT_FROM = 2

# A panic skips the ladder: everyone who can help, on every channel, again every five
# minutes until someone acknowledges (see targets.panic_members).
PANIC_TARGET = "panic_all"
PANIC_LADDER: tuple[Rung, ...] = (Rung(1, datetime.timedelta(minutes=5), (Target(PANIC_TARGET),)),)
PANIC_REPEAT_FROM = 1

# A cry for help from an unknown sender goes first to whoever is on duty in the intake
# compartment (and, as with every step, to its coordinators if nobody is), then to all
# its coordinators too, until someone takes it.
INTAKE_LADDER: tuple[Rung, ...] = (
    Rung(1, datetime.timedelta(minutes=10), (Target("on_duty"),)),
    Rung(
        2,
        datetime.timedelta(minutes=15),
        (Target("on_duty"), Target("role", role="coordinator")),
    ),
)
INTAKE_REPEAT_FROM = 2


@dataclass(frozen=True)
class Climb:
    """The rung to run now, its round, and when the one after it is due."""

    rung: Rung
    round: int
    next_step_at: datetime.datetime


def next_climb(
    rungs: Sequence[Rung],
    *,
    repeat_from: int,
    done_step: int,
    done_round: int,
    now: datetime.datetime,
) -> Climb:
    """Return the rung after `done_step` (0: none run yet); past the last, go back to
    `repeat_from` in the next round. Raise ValueError for an empty ladder."""
    if not rungs:
        raise ValueError("an escalation ladder needs at least one step")
    ordered = sorted(rungs, key=lambda rung: rung.position)
    later = [rung for rung in ordered if rung.position > done_step]
    if later:
        rung, round_ = later[0], max(done_round, 1)
    else:
        restart = [rung for rung in ordered if rung.position >= repeat_from] or ordered
        rung, round_ = restart[0], done_round + 1
    return Climb(rung, round_, now + rung.wait)
