"""Signing in."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class LoginForm(forms.Form):
    email = forms.CharField(
        label=_("E-mail"),
        max_length=320,
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    # Bounded: every attempt costs an Argon2 hash, and a huge password costs more.
    password = forms.CharField(
        label=_("Password"),
        max_length=1024,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
