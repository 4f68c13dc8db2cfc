"""A throwaway model for the field tests, kept out of the project's app registry.

Its own Apps registry means makemigrations never sees it; the tests create its table.
"""

from __future__ import annotations

import uuid

from django.apps.registry import Apps
from django.db import models

from safehold.crypto.fields import EncryptedDateField, EncryptedJSONField, EncryptedTextField

sample_apps = Apps([])


class Dossier(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    reference = models.CharField(max_length=20, default="")
    email = EncryptedTextField()
    display_name = EncryptedTextField(null=True, blank=True)
    details = EncryptedJSONField(null=True, blank=True)
    born_on = EncryptedDateField(null=True, blank=True)

    # Declared because the type checker cannot see models of a private registry.
    objects: models.Manager[Dossier] = models.Manager()

    class Meta:
        app_label = "crypto"
        apps = sample_apps

    def __str__(self) -> str:
        return self.reference
