"""Phone number parsing, on top of `phonenumbers` (Google's libphonenumber metadata)."""

from __future__ import annotations

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def normalise_phone(raw: str, default_region: str = "RU") -> str:
    """Return `raw` in E.164 form ("+79161234567"), or raise ValidationError."""
    text = (raw or "").strip()
    if not text:
        raise ValidationError(_("Enter a phone number."), code="required")
    try:
        parsed = phonenumbers.parse(text, default_region.upper() or None)
    except phonenumbers.NumberParseException as error:
        raise ValidationError(_("This is not a phone number."), code="invalid") from error
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationError(_("This phone number is not valid for its country."), code="invalid")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def mask_phone(e164: str) -> str:
    """Return a phone number with all but its last two digits hidden."""
    return "•" * max(len(e164) - 2, 0) + e164[-2:]
