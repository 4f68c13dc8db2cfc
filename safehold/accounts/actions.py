"""Creating organisations, members and compartments; each audited."""

from __future__ import annotations

import secrets

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from safehold.accounts.models import Compartment, Member, Organisation, Role, email_index
from safehold.audit.chain import record


def generate_password() -> str:
    """Return a random one-time password of about 120 bits."""
    return secrets.token_urlsafe(15)


@transaction.atomic
def create_organisation(
    name: str, *, actor: Member | None = None, phone_region: str = "RU"
) -> Organisation:
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Enter the organisation's name.")})
    if Organisation.objects.filter(name__iexact=name).exists():
        raise ValidationError({"name": _("An organisation with this name exists.")})
    organisation = Organisation.objects.create(name=name, default_phone_region=phone_region)
    record(
        "organisation.created", actor=actor, target=organisation, organisation_id=organisation.id
    )
    return organisation


@transaction.atomic
def create_member(
    organisation: Organisation,
    *,
    email: str,
    role: str,
    actor: Member | None,
    password: str | None = None,
    display_name: str = "",
    compartments: list[Compartment] | None = None,
    must_change_password: bool = False,
) -> tuple[Member, str]:
    """Create a member; return it with its password (generated when none is given)."""
    email = email.strip()
    validate_email(email)
    if role not in Role.values:
        raise ValidationError({"role": _("Choose a role from the list.")})
    if Member.objects.filter(email_index=email_index(email)).exists():
        raise ValidationError({"email": _("A member with this e-mail exists.")})
    chosen = password or generate_password()
    if password:
        validate_password(password)
    member = Member.objects.create_user(
        email,
        chosen,
        organisation=organisation,
        role=role,
        display_name=display_name,
        must_change_password=must_change_password,
    )
    for compartment in compartments or []:
        if compartment.organisation_id != organisation.id:
            raise ValidationError({"compartments": _("Choose compartments of this organisation.")})
        member.compartments.add(compartment)
    record(
        "member.created",
        actor=actor,
        target=member,
        details={"role": role, "compartments": [str(c.pk) for c in compartments or []]},
    )
    return member, chosen


@transaction.atomic
def create_compartment(
    organisation: Organisation, name: str, *, actor: Member | None
) -> Compartment:
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Enter the compartment's name.")})
    if Compartment.objects.filter(organisation=organisation, name__iexact=name).exists():
        raise ValidationError({"name": _("A compartment with this name exists.")})
    compartment = Compartment.objects.create(organisation=organisation, name=name)
    record("compartment.created", actor=actor, target=compartment)
    return compartment


@transaction.atomic
def add_to_compartment(member: Member, compartment: Compartment, *, actor: Member | None) -> None:
    if member.organisation_id != compartment.organisation_id:
        raise ValidationError(_("Members join compartments of their own organisation only."))
    member.compartments.add(compartment)
    record(
        "member.compartment_added",
        actor=actor,
        target=member,
        details={"compartment": str(compartment.pk)},
    )


@transaction.atomic
def set_password(
    member: Member, password: str, *, actor: Member | None, must_change: bool = False
) -> None:
    """Give `member` a new password; `must_change` when someone else will have seen it."""
    validate_password(password, member)
    member.set_password(password)
    member.must_change_password = must_change
    member.save(update_fields=["password", "must_change_password"])
    record(
        "member.password_set",
        actor=actor,
        target=member,
        details={
            "must_change": must_change,
            "by_self": actor is not None and actor.pk == member.pk,
        },
    )
