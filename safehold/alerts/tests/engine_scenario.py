"""Set up or inspect an engine scenario in a real database (run as a subprocess).

python engine_scenario.py setup MEMBERS URL_TEMPLATE   # one alert to MEMBERS members
python engine_scenario.py alert                        # open one more alert
python engine_scenario.py stats                        # JSON of the outbox
"""

from __future__ import annotations

import json
import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safehold.settings")
django.setup()

from django.db.models import Count  # noqa: E402

from safehold.accounts.models import Compartment, Member, Organisation, Role  # noqa: E402
from safehold.alerts.actions import open_alert  # noqa: E402
from safehold.alerts.ladder import Target  # noqa: E402
from safehold.alerts.models import (  # noqa: E402
    AlertKind,
    Channel,
    DeliveryAttempt,
    EscalationPolicy,
    EscalationStep,
    Notification,
)
from safehold.cases.actions import PersonDetails, open_case  # noqa: E402
from safehold.cases.models import Person  # noqa: E402


def setup(members: int, url_template: str) -> None:
    organisation = Organisation.objects.create(name="Engine Test")
    compartment = Compartment.objects.create(organisation=organisation, name="Main")
    for n in range(members):
        member = Member.objects.create_user(
            f"responder{n}@example.org", None, organisation=organisation, role=Role.COORDINATOR
        )
        member.compartments.add(compartment)
        Channel.objects.create(
            member=member, position=1, url=url_template.format(n=n), scheme="mailto"
        )
    policy = EscalationPolicy.objects.create(compartment=compartment)
    EscalationStep.objects.create(
        policy=policy,
        position=1,
        wait_minutes=60,
        targets=[Target("role", role=Role.COORDINATOR).to_json()],
    )
    open_case(
        PersonDetails(codename="Falcon", compartment=compartment),
        actor=None,
        organisation=organisation,
    )
    alert()


def alert() -> None:
    open_alert(Person.objects.get(codename="Falcon"), AlertKind.MANUAL)


def stats() -> None:
    by_status = dict(
        Notification.objects.values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    print(
        json.dumps(
            {
                "notifications": Notification.objects.count(),
                "by_status": by_status,
                "attempts": DeliveryAttempt.objects.count(),
                "unfinished_attempts": DeliveryAttempt.objects.filter(finished_at=None).count(),
                "keys": list(Notification.objects.values_list("idempotency_key", flat=True)),
                "workers": sorted(set(DeliveryAttempt.objects.values_list("worker", flat=True))),
            }
        )
    )


if __name__ == "__main__":
    verb = sys.argv[1]
    if verb == "setup":
        setup(int(sys.argv[2]), sys.argv[3])
    elif verb == "alert":
        alert()
    else:
        stats()
