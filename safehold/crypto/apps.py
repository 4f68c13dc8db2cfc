"""App configuration for the crypto app."""

from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.core.signals import setting_changed


class CryptoConfig(AppConfig):
    name = "safehold.crypto"
    label = "crypto"
    verbose_name = "Encryption"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        setting_changed.connect(_forget_keys_when_key_file_changes, dispatch_uid="crypto-key-file")


def _forget_keys_when_key_file_changes(*, setting: str, **kwargs: Any) -> None:
    # Cached keys belong to the old key file; keeping them would hide a missing or
    # mismatched new one.
    if setting == "SAFEHOLD_KEY_FILE":
        from safehold.crypto.envelope import reset_keyring

        reset_keyring()
