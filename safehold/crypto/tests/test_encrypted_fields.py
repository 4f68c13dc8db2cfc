"""Encrypted model fields: sealed at rest, bound to row and field, opened only when read."""

from __future__ import annotations

import datetime
import uuid
from pathlib import Path
from typing import Any

import pytest
from django import forms
from django.apps.registry import Apps
from django.core import serializers
from django.core.exceptions import FieldError, ValidationError
from django.db import models, transaction

from safehold.crypto.envelope import TOKEN_PREFIX, reset_keyring
from safehold.crypto.fields import (
    EncryptedDateField,
    EncryptedJSONField,
    EncryptedTextField,
    Sealed,
)
from safehold.crypto.keys import DecryptionError, KeyUnavailable
from safehold.crypto.tests.helpers import raw_column, write_raw_column
from safehold.crypto.tests.sample_models import Dossier


def _make(model: type[Dossier], **values: Any) -> Dossier:
    defaults: dict[str, Any] = {
        "reference": "D-1",
        "email": "ana@example.org",
        "display_name": "Ana P.",
        "details": {"route": ["Kyiv", "Chisinau"], "risk": 3, "escorted": True},
        "born_on": datetime.date(1987, 2, 28),
    }
    return model.objects.create(**{**defaults, **values})


def test_every_kind_of_value_survives_a_save_and_reload(dossiers: type[Dossier]) -> None:
    saved = _make(dossiers)

    loaded = dossiers.objects.get(pk=saved.pk)

    assert loaded.email == "ana@example.org"
    assert loaded.display_name == "Ana P."
    assert loaded.details == {"route": ["Kyiv", "Chisinau"], "risk": 3, "escorted": True}
    assert loaded.born_on == datetime.date(1987, 2, 28)


def test_none_is_stored_as_sql_null(dossiers: type[Dossier]) -> None:
    saved = _make(dossiers, display_name=None, details=None, born_on=None)

    assert raw_column(dossiers, "display_name", saved.pk) is None
    assert raw_column(dossiers, "details", saved.pk) is None
    loaded = dossiers.objects.get(pk=saved.pk)
    assert loaded.display_name is None
    assert loaded.details is None
    assert loaded.born_on is None
    assert dossiers.objects.filter(display_name__isnull=True).count() == 1


def test_the_database_holds_tokens_not_plaintext(dossiers: type[Dossier]) -> None:
    saved = _make(dossiers)

    for column in ["email", "display_name", "details", "born_on"]:
        stored = raw_column(dossiers, column, saved.pk)
        assert stored is not None
        assert stored.startswith(TOKEN_PREFIX)
    assert "ana" not in str(raw_column(dossiers, "email", saved.pk))
    assert "1987" not in str(raw_column(dossiers, "born_on", saved.pk))


def test_a_token_copied_to_another_row_is_refused(dossiers: type[Dossier]) -> None:
    victim = _make(dossiers, reference="victim", email="victim@example.org")
    attacker = _make(dossiers, reference="attacker", email="attacker@example.org")
    write_raw_column(dossiers, "email", attacker.pk, raw_column(dossiers, "email", victim.pk))

    loaded = dossiers.objects.get(pk=attacker.pk)

    with pytest.raises(DecryptionError):
        loaded.email


def test_a_token_copied_to_another_field_is_refused(dossiers: type[Dossier]) -> None:
    saved = _make(dossiers)
    write_raw_column(dossiers, "display_name", saved.pk, raw_column(dossiers, "email", saved.pk))

    loaded = dossiers.objects.get(pk=saved.pk)

    assert loaded.email == "ana@example.org"
    with pytest.raises(DecryptionError):
        loaded.display_name


def test_listing_rows_decrypts_nothing_until_a_field_is_read(
    dossiers: type[Dossier], settings: Any, tmp_path: Path
) -> None:
    _make(dossiers, reference="D-1")
    _make(dossiers, reference="D-2")
    # Without any key, only a decryption attempt can fail.
    settings.SAFEHOLD_KEY_FILE = tmp_path / "no-such.key"
    reset_keyring()

    rows = list(dossiers.objects.order_by("reference"))

    assert [row.reference for row in rows] == ["D-1", "D-2"]
    assert isinstance(rows[0].__dict__["email"], Sealed)
    with pytest.raises(KeyUnavailable):
        rows[0].email


def test_a_sealed_value_never_shows_its_token_when_printed(dossiers: type[Dossier]) -> None:
    saved = _make(dossiers)
    sealed = dossiers.objects.get(pk=saved.pk).__dict__["email"]

    assert repr(sealed) == "<Sealed>"


def test_saving_without_reading_keeps_every_token_byte_identical(dossiers: type[Dossier]) -> None:
    saved = _make(dossiers)
    before = {column: raw_column(dossiers, column, saved.pk) for column in ["email", "details"]}

    loaded = dossiers.objects.get(pk=saved.pk)
    loaded.reference = "D-1b"
    loaded.save()

    after = {column: raw_column(dossiers, column, saved.pk) for column in ["email", "details"]}
    assert after == before


def test_saving_untouched_encrypted_fields_needs_no_key(
    dossiers: type[Dossier], settings: Any, tmp_path: Path
) -> None:
    saved = _make(dossiers)
    loaded = dossiers.objects.get(pk=saved.pk)
    settings.SAFEHOLD_KEY_FILE = tmp_path / "no-such.key"
    reset_keyring()

    loaded.reference = "D-1b"
    loaded.save()

    assert dossiers.objects.filter(reference="D-1b").count() == 1


def test_reading_without_changing_keeps_the_token(dossiers: type[Dossier]) -> None:
    saved = _make(dossiers)
    before = raw_column(dossiers, "details", saved.pk)

    loaded = dossiers.objects.get(pk=saved.pk)
    assert loaded.details["risk"] == 3
    loaded.save()

    assert raw_column(dossiers, "details", saved.pk) == before


def test_changing_a_value_writes_a_new_token(dossiers: type[Dossier]) -> None:
    saved = _make(dossiers)
    before = raw_column(dossiers, "details", saved.pk)

    loaded = dossiers.objects.get(pk=saved.pk)
    loaded.details["risk"] = 5  # changed in place, not reassigned
    loaded.email = "ana.p@example.org"
    loaded.save()

    assert raw_column(dossiers, "details", saved.pk) != before
    reloaded = dossiers.objects.get(pk=saved.pk)
    assert reloaded.details["risk"] == 5
    assert reloaded.email == "ana.p@example.org"


def test_copying_a_row_under_a_new_primary_key_reseals_its_values(
    dossiers: type[Dossier],
) -> None:
    original = _make(dossiers)
    copy = dossiers.objects.get(pk=original.pk)
    copy.pk = uuid.uuid4()
    copy._state.adding = True
    copy.reference = "D-copy"
    copy.save()

    assert raw_column(dossiers, "email", copy.pk) != raw_column(dossiers, "email", original.pk)
    assert dossiers.objects.get(pk=copy.pk).email == "ana@example.org"
    assert dossiers.objects.get(pk=original.pk).email == "ana@example.org"


def test_deferred_fields_are_loaded_and_decrypted_on_access(dossiers: type[Dossier]) -> None:
    saved = _make(dossiers)

    loaded = dossiers.objects.only("id").get(pk=saved.pk)

    assert loaded.email == "ana@example.org"
    assert loaded.born_on == datetime.date(1987, 2, 28)


def test_refresh_from_db_gives_plaintext(dossiers: type[Dossier]) -> None:
    saved = _make(dossiers)
    other = dossiers.objects.get(pk=saved.pk)
    other.email = "changed@example.org"
    other.save()

    saved.refresh_from_db()

    assert saved.email == "changed@example.org"


def test_sealing_without_a_primary_key_is_refused() -> None:
    unsaved = Dossier(reference="D-1", email="ana@example.org")
    unsaved.pk = None

    with pytest.raises(ValueError, match="set the primary key before saving"):
        Dossier._meta.get_field("email").pre_save(unsaved, True)


def test_a_cleared_primary_key_is_refilled_from_its_default_before_sealing(
    dossiers: type[Dossier],
) -> None:
    unsaved = dossiers(reference="D-1", email="ana@example.org")
    unsaved.pk = None

    unsaved.save()

    assert dossiers.objects.get(pk=unsaved.pk).email == "ana@example.org"


def test_update_and_filter_refuse_plain_values(dossiers: type[Dossier]) -> None:
    _make(dossiers)

    # Each refusal inside its own savepoint: a failed query spoils the enclosing one.
    with pytest.raises(TypeError, match="is encrypted"), transaction.atomic():
        dossiers.objects.update(email="plain@example.org")
    with pytest.raises(TypeError, match="is encrypted"):
        list(dossiers.objects.filter(email="ana@example.org"))
    with pytest.raises(TypeError, match="is encrypted"):
        list(dossiers.objects.filter(email__in=["ana@example.org"]))
    with pytest.raises(FieldError):
        list(dossiers.objects.filter(email__icontains="ana"))
    row = dossiers.objects.get()
    row.email = "plain@example.org"
    with pytest.raises(TypeError, match="is encrypted"), transaction.atomic():
        dossiers.objects.bulk_update([row], ["email"])
    assert dossiers.objects.get().email == "ana@example.org"


def test_values_returns_sealed_tokens(dossiers: type[Dossier]) -> None:
    _make(dossiers)

    email = dossiers.objects.values_list("email", flat=True).get()

    assert isinstance(email, Sealed)
    assert email.startswith(TOKEN_PREFIX)


def test_serialising_an_encrypted_model_is_refused(dossiers: type[Dossier]) -> None:
    saved = _make(dossiers)

    with pytest.raises(TypeError, match="not serialised"):
        serializers.serialize("json", [saved])


def test_wrong_value_types_are_refused_before_anything_is_written(
    dossiers: type[Dossier],
) -> None:
    with pytest.raises(TypeError, match=r"takes a datetime\.date"), transaction.atomic():
        _make(dossiers, born_on=datetime.datetime(1987, 2, 28, tzinfo=datetime.UTC))
    with pytest.raises(TypeError, match="takes a str"), transaction.atomic():
        _make(dossiers, email=42)
    assert not dossiers.objects.exists()


def test_model_validation_sees_plaintext(dossiers: type[Dossier]) -> None:
    loaded = dossiers.objects.get(pk=_make(dossiers).pk)

    loaded.full_clean()
    loaded.email = ""
    with pytest.raises(ValidationError) as refusal:
        loaded.full_clean()
    assert "email" in refusal.value.message_dict


def test_date_field_parses_form_input_but_refuses_datetimes() -> None:
    field = EncryptedDateField()

    assert field.to_python("2001-09-11") == datetime.date(2001, 9, 11)
    with pytest.raises(ValidationError):
        field.to_python("11/09/2001")
    with pytest.raises(ValidationError):
        field.to_python(datetime.datetime(2001, 9, 11, tzinfo=datetime.UTC))


@pytest.mark.parametrize(
    "field",
    [EncryptedTextField(null=True, blank=True), EncryptedJSONField(), EncryptedDateField()],
)
def test_fields_deconstruct_to_their_own_path_and_options(field: models.Field[Any, Any]) -> None:
    _name, path, args, kwargs = field.deconstruct()

    assert path == f"safehold.crypto.fields.{type(field).__name__}"
    assert args == []
    rebuilt = type(field)(*args, **kwargs)
    assert rebuilt.deconstruct()[1:] == (path, args, kwargs)


def test_the_sample_model_passes_the_field_checks() -> None:
    assert [error for f in Dossier._meta.fields for error in f.check()] == []


def test_a_model_whose_database_assigns_the_primary_key_fails_the_check() -> None:
    class Numbered(models.Model):
        notes = EncryptedTextField()
        reference = EncryptedTextField(unique=True)

        class Meta:
            app_label = "crypto"
            apps = Apps([])

        def __str__(self) -> str:
            return str(self.pk)

    ids = {error.id for f in Numbered._meta.fields for error in f.check()}

    assert ids == {"crypto.E001", "crypto.E002"}


def test_forms_get_plain_form_fields_for_the_plaintext() -> None:
    email = Dossier._meta.get_field("email").formfield()
    details = Dossier._meta.get_field("details").formfield()
    born_on = Dossier._meta.get_field("born_on").formfield()

    assert isinstance(email, forms.CharField)
    assert isinstance(email.widget, forms.Textarea)
    assert isinstance(details, forms.JSONField)
    assert isinstance(born_on, forms.DateField)
    assert not born_on.required
