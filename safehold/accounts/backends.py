"""Log in by e-mail, through its keyed digest."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from safehold.accounts.models import Member, email_index


class EmailBackend(ModelBackend):
    """Find the member by e-mail digest; an unknown e-mail still costs one Argon2 hash."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Member | None:
        if not username or password is None:
            return None
        try:
            member = Member.objects.get(email_index=email_index(username))
        except Member.DoesNotExist:
            # Hash anyway so an unknown address takes as long as a wrong password.
            Member().set_password(password)
            return None
        if member.check_password(password) and self.user_can_authenticate(member):
            return member
        return None
