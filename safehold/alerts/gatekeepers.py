"""Who may see and handle an alert: whoever may view the person, or was told about it."""

from __future__ import annotations

import uuid

from django.db.models import Q, QuerySet
from django.http import Http404

from safehold.access.models import Need
from safehold.accounts.models import Member
from safehold.alerts.models import Alert
from safehold.cases.gatekeepers import persons_for


def alerts_for(member: Member | None) -> QuerySet[Alert]:
    """Return the alerts `member` may see and acknowledge."""
    if member is None or not getattr(member, "is_authenticated", False):
        return Alert.objects.none()
    if member.organisation_id is None:
        return Alert.objects.none()
    return Alert.objects.filter(
        Q(person__in=persons_for(member, Need.VIEW)) | Q(notifications__member=member),
        organisation_id=member.organisation_id,
    ).distinct()


def get_alert_for(
    member: Member | None, *, alert_id: uuid.UUID | None = None, code: str = ""
) -> Alert:
    """Return one alert by id or code, or raise Http404 alike for missing and forbidden."""
    lookup = Q(pk=alert_id) if alert_id is not None else Q(code=code.strip().upper())
    try:
        return alerts_for(member).select_related("person").get(lookup)
    except (Alert.DoesNotExist, ValueError) as missing:
        raise Http404 from missing
