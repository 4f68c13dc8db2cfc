"""Model fields that keep their values encrypted at rest, bound to their row and field.

Each value is sealed with `envelope.encrypt` using the associated data
`"<app_label>.<model>.<field name>:<primary key>"`, so a token copied to another row
or field is refused. Consequences to know before using these fields:

* The model's primary key must be set in Python before saving (a UUIDField with
  `default=uuid.uuid4`); a system check (crypto.E001) enforces it.
* Renaming the field or the model, or changing a row's primary key in SQL, changes
  the associated data: existing tokens no longer open. Re-encrypt through the ORM.
* Values load sealed (`Sealed`, a str holding the token) and are decrypted on first
  attribute access, so list pages that never show the field never decrypt it.
* `QuerySet.values()` / `values_list()` return the sealed tokens, not plaintext, and
  `filter()` / `update()` / `bulk_update()` refuse plain values: there is nothing to
  compare against in the database. Use `envelope.blind_index` for lookups.
* Serialisers (`dumpdata`) refuse these fields: back up the database and the key file
  instead of exporting plaintext.
"""

from __future__ import annotations

import datetime
import json
from typing import TYPE_CHECKING, Any

from django import forms
from django.core import checks, exceptions
from django.db import models
from django.db.models.fields import AutoFieldMixin
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import post_init
from django.utils.dateparse import parse_date
from django.utils.functional import Promise

from safehold.crypto.envelope import constant_time_equals, decrypt, encrypt

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper

    _FieldBase = models.Field[Any, Any]
else:
    _FieldBase = models.Field

# Keys in instance.__dict__ (no field can have these attnames: they start with "_").
_BOUND_PK = "_safehold_sealed_pk"
_OPENED = "_safehold_opened"
_ALLOWED_LOOKUPS = frozenset({"exact", "in", "isnull"})


class Sealed(str):
    """An encrypted token as loaded from the database, not decrypted yet."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<Sealed>"


class SealedAttribute(DeferredAttribute):
    """Descriptor that decrypts a sealed value on first access and keeps the plaintext."""

    field: EncryptedField

    def __get__(self, instance: models.Model | None, cls: type | None = None) -> Any:
        if instance is None:
            return self
        value = super().__get__(instance, cls)
        if isinstance(value, Sealed):
            value = self.field.open_sealed(instance, value)
        return value

    def __set__(self, instance: models.Model, value: Any) -> None:
        # A data descriptor, so __get__ runs on every access even once the value is in
        # instance.__dict__ (DeferredAttribute alone would be bypassed).
        instance.__dict__[self.field.attname] = value


class EncryptedField(_FieldBase):
    """Base class: a TextField column holding a token; subclasses define the plaintext."""

    descriptor_class = SealedAttribute
    description = "Encrypted value"
    default_form_class: type[forms.Field] = forms.CharField
    default_form_widget: type[forms.Widget] | None = None

    def get_internal_type(self) -> str:
        return "TextField"

    def to_payload(self, value: Any) -> bytes:
        """Return the bytes to encrypt for `value`; raise TypeError if it has the wrong type."""
        raise NotImplementedError

    def from_payload(self, payload: bytes) -> Any:
        """Return the Python value for decrypted `payload`."""
        raise NotImplementedError

    def associated_data(self, pk: Any) -> bytes:
        """Return the associated data binding a token to this field of the row with `pk`."""
        # Normalised through the pk field, so "ABC..." and UUID("abc...") bind alike.
        pk_text = str(self.model._meta.pk.to_python(pk))  # type: ignore[union-attr]
        return f"{self.model._meta.label_lower}.{self.name}:{pk_text}".encode()

    def contribute_to_class(
        self, cls: type[models.Model], name: str, private_only: bool = False
    ) -> None:
        super().contribute_to_class(cls, name, private_only=private_only)
        if not cls._meta.abstract:
            post_init.connect(
                _remember_sealed_pk, sender=cls, weak=False, dispatch_uid="safehold-crypto-pk"
            )

    def open_sealed(self, instance: models.Model, token: Sealed) -> Any:
        """Decrypt `token` for `instance`, cache the plaintext on it, and return it."""
        pk = instance.__dict__.get(_BOUND_PK, instance.pk)
        payload = decrypt(str(token), aad=self.associated_data(pk))
        value = self.from_payload(payload)
        instance.__dict__[self.attname] = value
        # Remembered so an unchanged value is written back as the same token.
        instance.__dict__.setdefault(_OPENED, {})[self.attname] = (token, payload, pk)
        return value

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = model_instance.__dict__.get(self.attname)
        if value is None:
            return None
        pk = model_instance.pk
        if pk is None:
            raise ValueError(
                f"{self._label()} is encrypted with the primary key as associated data; "
                "set the primary key before saving."
            )
        if isinstance(value, Sealed):
            if self._is_bound_to(model_instance, value, pk):
                return value
            value = self.open_sealed(model_instance, value)  # pk changed: re-seal below
        payload = self.to_payload(value)
        opened = model_instance.__dict__.get(_OPENED, {}).get(self.attname)
        if opened is not None:
            token, opened_payload, opened_pk = opened
            if self._same_pk(opened_pk, pk) and constant_time_equals(opened_payload, payload):
                return token
        return Sealed(encrypt(payload, aad=self.associated_data(pk)))

    def get_prep_value(self, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, Sealed):
            return str(value)
        raise TypeError(
            f"{self._label()} is encrypted: assign the plain value to the attribute and "
            "call save(). QuerySet.filter(), update() and bulk_update() cannot take plain "
            "values; use a blind index for lookups."
        )

    def formfield(
        self,
        form_class: type[forms.Field] | None = None,
        choices_form_class: type[forms.ChoiceField] | None = None,
        **kwargs: Any,
    ) -> forms.Field | None:
        if self.default_form_widget is not None:
            kwargs.setdefault("widget", self.default_form_widget)
        return super().formfield(
            form_class=form_class or self.default_form_class,
            choices_form_class=choices_form_class,
            **kwargs,
        )

    def from_db_value(
        self, value: str | None, expression: Any, connection: BaseDatabaseWrapper
    ) -> Sealed | None:
        return None if value is None else Sealed(value)

    def value_to_string(self, obj: models.Model) -> str:
        raise TypeError(
            f"{self._label()} is encrypted and is not serialised; back up the database "
            "together with the key file instead."
        )

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name not in _ALLOWED_LOOKUPS:
            return None
        return super().get_lookup(lookup_name)

    def get_transform(self, lookup_name: str) -> Any:
        return None

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        return [*super().check(**kwargs), *self._check_encryption_options()]

    def _check_encryption_options(self) -> list[checks.CheckMessage]:
        errors: list[checks.CheckMessage] = []
        if self.primary_key or self.unique or getattr(self, "db_index", False):
            errors.append(
                checks.Error(
                    "Encrypted fields cannot be primary keys, unique or indexed: every "
                    "token is different, even for equal values.",
                    hint="Store a blind index (envelope.blind_index) in a separate field.",
                    obj=self,
                    id="crypto.E002",
                )
            )
        model = getattr(self, "model", None)
        pk = model._meta.pk if model is not None else None
        if pk is not None and not pk.has_default() and isinstance(pk, AutoFieldMixin):
            errors.append(
                checks.Error(
                    "Encrypted fields need a primary key known before saving, but this "
                    "model's primary key is assigned by the database.",
                    hint="Use id = models.UUIDField(primary_key=True, default=uuid.uuid4).",
                    obj=self,
                    id="crypto.E001",
                )
            )
        return errors

    def _is_bound_to(self, instance: models.Model, token: Sealed, pk: Any) -> bool:
        if _BOUND_PK in instance.__dict__:
            return self._same_pk(instance.__dict__[_BOUND_PK], pk)
        # No record of where the token came from (e.g. a parent model's field loaded
        # through a child): check by opening it, which raises if it belongs elsewhere.
        decrypt(str(token), aad=self.associated_data(pk))
        return True

    def _same_pk(self, a: Any, b: Any) -> bool:
        to_python = self.model._meta.pk.to_python  # type: ignore[union-attr]
        return bool(to_python(a) == to_python(b))

    def _label(self) -> str:
        model = getattr(self, "model", None)
        return f"{model._meta.label}.{self.name}" if model is not None else str(self.name)


class EncryptedTextField(EncryptedField):
    """Encrypted text; the plaintext is a str."""

    description = "Encrypted text"
    default_form_widget = forms.Textarea

    def to_python(self, value: Any) -> Any:
        if value is None or isinstance(value, str):
            return value
        return str(value)

    def to_payload(self, value: Any) -> bytes:
        if isinstance(value, Promise):
            value = str(value)  # a lazily translated default
        if not isinstance(value, str):
            raise TypeError(f"{self._label()} takes a str, not {type(value).__name__}")
        return value.encode("utf-8")

    def from_payload(self, payload: bytes) -> str:
        return payload.decode("utf-8")


class EncryptedJSONField(EncryptedField):
    """Encrypted JSON; the plaintext is any value `json.dumps` accepts (None means NULL)."""

    description = "Encrypted JSON"
    default_form_class = forms.JSONField
    empty_strings_allowed = False

    def to_payload(self, value: Any) -> bytes:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        return text.encode("utf-8")

    def from_payload(self, payload: bytes) -> Any:
        return json.loads(payload.decode("utf-8"))


class EncryptedDateField(EncryptedField):
    """Encrypted calendar date; the plaintext is a `datetime.date` (not a datetime)."""

    description = "Encrypted date"
    default_form_class = forms.DateField
    empty_strings_allowed = False

    def to_python(self, value: Any) -> Any:
        if value is None or isinstance(value, Sealed):
            return value
        if isinstance(value, datetime.datetime):
            # Which calendar day a moment falls on depends on a time zone we do not know.
            raise exceptions.ValidationError("Enter a date, not a date and time.", code="invalid")
        if isinstance(value, datetime.date):
            return value
        try:
            parsed = parse_date(str(value))
        except ValueError:
            parsed = None
        if parsed is None:
            raise exceptions.ValidationError("Enter a valid date.", code="invalid")
        return parsed

    def to_payload(self, value: Any) -> bytes:
        if isinstance(value, datetime.datetime) or not isinstance(value, datetime.date):
            raise TypeError(f"{self._label()} takes a datetime.date, not {type(value).__name__}")
        return value.isoformat().encode("ascii")

    def from_payload(self, payload: bytes) -> datetime.date:
        return datetime.date.fromisoformat(payload.decode("ascii"))


def _remember_sealed_pk(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    # Tokens loaded from the database are bound to the pk they were loaded with. If
    # the pk changes later (copying a row), pre_save must re-seal them for the new pk.
    if any(isinstance(value, Sealed) for value in instance.__dict__.values()):
        instance.__dict__[_BOUND_PK] = instance.pk
