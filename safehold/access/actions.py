"""Granting and revoking access to one record; each audited."""

from __future__ import annotations

import datetime
import uuid

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from safehold.access.models import Grant, Need, TargetKind
from safehold.accounts.models import Member
from safehold.audit.chain import record


@transaction.atomic
def grant_access(
    member: Member,
    *,
    kind: TargetKind,
    target_id: uuid.UUID,
    organisation_id: uuid.UUID,
    need: Need,
    actor: Member | None,
    expires_at: datetime.datetime | None = None,
) -> Grant:
    """Let `member` reach one record of their own organisation up to `need`."""
    if member.organisation_id != organisation_id:
        raise ValidationError(_("Access can only be granted within the organisation."))
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": _("The grant would already have expired.")})
    grant = Grant.objects.create(
        member=member,
        target_kind=kind,
        target_id=target_id,
        need=need,
        granted_by=actor,
        expires_at=expires_at,
    )
    record(
        "access.granted",
        actor=actor,
        target=member,
        details={
            "grant": str(grant.pk),
            "kind": str(kind),
            "target": str(target_id),
            "need": int(need),
        },
    )
    return grant


@transaction.atomic
def revoke_grant(grant: Grant, *, actor: Member | None) -> None:
    if grant.revoked_at is not None:
        return
    grant.revoked_at = timezone.now()
    grant.save(update_fields=["revoked_at"])
    record("access.revoked", actor=actor, target=grant.member, details={"grant": str(grant.pk)})
