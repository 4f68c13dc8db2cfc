"""Move a browser journey's installation along where no page can: the clock.

Run as a subprocess with the installation's environment:

    python scenario.py overdue CODENAME   # the person's check-in deadline passed a minute ago
"""

from __future__ import annotations

import datetime
import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safehold.settings")
django.setup()

from django.utils import timezone  # noqa: E402

from safehold.checkins.models import Schedule  # noqa: E402


def overdue(codename: str) -> None:
    """Put the deadline and the grace behind us, as if the person had gone silent."""
    past = timezone.now() - datetime.timedelta(minutes=1)
    moved = Schedule.objects.filter(person__codename=codename).update(
        next_deadline=past, overdue_at=past, updated_at=timezone.now()
    )
    if moved != 1:
        raise SystemExit(f"no schedule for {codename}")


if __name__ == "__main__":
    verb, *args = sys.argv[1:]
    {"overdue": overdue}[verb](*args)
