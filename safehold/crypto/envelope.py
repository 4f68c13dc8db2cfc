"""Envelope encryption: AES-256-GCM data keys, wrapped by master keys from a KeySource.

A token looks like `sh1:<base64url(data key id || nonce || ciphertext+tag)>`. The
caller's associated data (for model fields: model, field and primary key) is bound
into the tag, so a token copied to another row or field is refused instead of
decrypting. Rotating the master key re-wraps the few `DataKey` rows and never touches
the tokens.

Unwrapped data keys are cached per process (they never change once created); the
master keyring is reloaded from the source whenever a key id is missing from it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import math
import re
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.db import connections, transaction

from safehold.crypto.keys import (
    CryptoError,
    DecryptionError,
    KeyMismatch,
    KeySource,
    MasterKeyring,
    RotatableKeySource,
    configured_source,
)
from safehold.crypto.models import DataKey

TOKEN_PREFIX = "sh1:"
_TOKEN_BODY = re.compile(r"[A-Za-z0-9_-]+")
_TOKEN_AAD_PREFIX = b"safehold-token-v1\x00"
_NONCE_BYTES = 12
_TAG_BYTES = 16
_KEY_ID_BYTES = 16
_DATA_KEY_BYTES = 32
# Another process may call new_data_key(); this is how long we keep encrypting under
# the previous (still valid) key before noticing.
_ACTIVE_KEY_TTL_SECONDS = 60.0


@dataclass
class _KeyCache:
    lock: threading.Lock = field(default_factory=threading.Lock)
    source: KeySource | None = None
    keyring: MasterKeyring | None = None
    data_keys: dict[uuid.UUID, bytes] = field(default_factory=dict)
    # purpose -> (data key id, monotonic expiry)
    active: dict[str, tuple[uuid.UUID, float]] = field(default_factory=dict)


_cache = _KeyCache()


@dataclass(frozen=True)
class RotationReport:
    """What a master key rotation did (or, for a dry run, would do)."""

    previous_master_key_ids: tuple[str, ...]
    new_master_key_id: str | None
    data_keys_rewrapped: int
    retired_master_key_ids: tuple[str, ...]
    is_dry_run: bool


def encrypt(plaintext: bytes, *, aad: bytes) -> str:
    """Return an ASCII token sealing `plaintext` under the active data key, bound to `aad`."""
    if not isinstance(plaintext, bytes) or not isinstance(aad, bytes):
        raise TypeError("encrypt() takes bytes for both plaintext and aad")
    key_id, key = _active_key(DataKey.Purpose.DATA)
    nonce = secrets.token_bytes(_NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, plaintext, _token_aad(key_id, aad))
    body = base64.urlsafe_b64encode(key_id.bytes + nonce + sealed).rstrip(b"=")
    return TOKEN_PREFIX + body.decode("ascii")


def decrypt(token: str, *, aad: bytes) -> bytes:
    """Return the plaintext sealed in `token` for `aad`.

    Raise DecryptionError if the token is malformed, altered or bound to other
    associated data, KeyMismatch if its data key cannot be unwrapped by our master
    keys, and KeyUnavailable if the master keys cannot be loaded.
    """
    if not isinstance(aad, bytes):
        raise TypeError("decrypt() takes bytes for aad")
    key_id, nonce, sealed = _parse_token(token)
    key = _data_key(key_id)
    try:
        return AESGCM(key).decrypt(nonce, sealed, _token_aad(key_id, aad))
    except InvalidTag:
        raise DecryptionError(
            "Ciphertext refused: it was altered, or it belongs to another record or field."
        ) from None


def blind_index(purpose: str, value: str) -> str:
    """Return a stable HMAC-SHA256 hex digest of `value` for lookups without plaintext.

    `purpose` separates index spaces (the same e-mail gives different digests as a
    login and as a contact). Normalise `value` first (e.g. lowercase an e-mail): the
    digest matches only exactly equal strings. The index key is never rotated away,
    so digests stay valid across master key rotations.
    """
    if not purpose or "\x00" in purpose:
        raise ValueError("blind_index() purpose must be non-empty and contain no NUL")
    _, key = _active_key(DataKey.Purpose.INDEX)
    message = purpose.encode("utf-8") + b"\x00" + value.encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def keyed_digest(purpose: str, message: str) -> str:
    """Return an HMAC-SHA256 hex digest of `message` under the index key.

    For authenticating records (the audit chain): whoever can write the database but
    lacks the master key cannot compute a digest that verifies.
    """
    return blind_index(purpose, message)


_LINK_KEYS: dict[tuple[uuid.UUID, str], bytes] = {}
_LINK_SIGNATURE_BYTES = 16  # 128 bits: a forger's odds are nil, and the link stays short
_LINK_CLOCK_SKEW_SECONDS = 120  # links signed on another machine whose clock runs ahead


def _link_key(purpose: str) -> bytes:
    # Derived once per purpose and index key: Django's signer re-derives its key on
    # every call, which cost 40 µs per link when a burst of alerts builds thousands.
    key_id, index_key = _active_key(DataKey.Purpose.INDEX)
    cached = _LINK_KEYS.get((key_id, purpose))
    if cached is None:
        cached = hmac.new(index_key, b"link\x00" + purpose.encode(), hashlib.sha256).digest()
        _LINK_KEYS[(key_id, purpose)] = cached
    return cached


def _link_signature(key: bytes, payload: str) -> str:
    digest = hmac.digest(key, payload.encode("ascii"), "sha256")
    return base64.urlsafe_b64encode(digest[:_LINK_SIGNATURE_BYTES]).rstrip(b"=").decode()


def sign_links(purpose: str, values: list[str], *, issued_at: float | None = None) -> list[str]:
    """Return "<value>.<issued>.<signature>" for each value, for links that do one thing.

    Each value must be URL-safe without dots (a hex id). The signature is keyed by the
    master-key-protected index key, so a stolen SECRET_KEY forges no link.
    """
    if any(not value or "." in value or not value.isascii() for value in values):
        raise ValueError("sign_links() takes non-empty ASCII values without dots")
    key = _link_key(purpose)
    issued = format(int(time.time() if issued_at is None else issued_at), "x")
    return [f"{value}.{issued}.{_link_signature(key, f'{value}.{issued}')}" for value in values]


def sign_link(purpose: str, value: str, *, issued_at: float | None = None) -> str:
    """Return the signed token for one value (see sign_links)."""
    return sign_links(purpose, [value], issued_at=issued_at)[0]


def unsign_link(purpose: str, token: str, *, max_age_seconds: float) -> str | None:
    """Return the value a token from sign_link() carries, or None if forged or expired."""
    if not isinstance(token, str) or not token.isascii() or len(token) > 200:
        return None
    value, _, rest = token.partition(".")
    issued, _, signature = rest.partition(".")
    try:
        issued_at = int(issued, 16)
    except ValueError:
        return None
    expected = _link_signature(_link_key(purpose), f"{value}.{issued}")
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        return None
    age = time.time() - issued_at
    if not -_LINK_CLOCK_SKEW_SECONDS <= age <= max_age_seconds:
        return None
    return value


def sha256_hex(data: bytes) -> str:
    """Return the SHA-256 hex digest of `data` (not keyed: never use it to hide a value)."""
    return hashlib.sha256(data).hexdigest()


def constant_time_equals(a: str | bytes, b: str | bytes) -> bool:
    """Return whether `a` equals `b`, taking the same time wherever they differ."""
    left = a.encode("utf-8") if isinstance(a, str) else a
    right = b.encode("utf-8") if isinstance(b, str) else b
    return hmac.compare_digest(left, right)


def random_token(nbytes: int = 32) -> str:
    """Return a URL-safe random token carrying `nbytes` bytes of randomness."""
    return secrets.token_urlsafe(nbytes)


def reset_keyring() -> None:
    """Forget every cached key and the key source, so the next use reloads them."""
    with _cache.lock:
        _cache.source = None
        _cache.keyring = None
        _cache.data_keys.clear()
        _cache.active.clear()
    _LINK_KEYS.clear()


def new_data_key() -> uuid.UUID:
    """Start sealing new writes under a fresh data key; return its id (old tokens stay readable)."""
    with transaction.atomic():
        _lock_data_keys()
        DataKey.objects.filter(purpose=DataKey.Purpose.DATA, is_active=True).update(is_active=False)
        row, key = _create_data_key(DataKey.Purpose.DATA)
    _remember_active_after_commit(row, key)
    return row.id


def rotate_master_key(source: RotatableKeySource, *, dry_run: bool = False) -> RotationReport:
    """Re-wrap every data key under a new master key, then retire the old master keys.

    Row tokens are untouched. The order is crash-safe: (1) the source gains the new
    key beside the old ones, (2) the re-wrap commits in one transaction, (3) only then
    are old keys retired; a crash between steps leaves every key readable. Raise
    KeyMismatch before changing anything if some data key cannot be unwrapped now.
    """
    if connections[DataKey.objects.db].in_atomic_block:
        # Retiring old keys is only safe once the re-wrap is durably committed.
        raise CryptoError("rotate_master_key() must run outside any transaction.")
    keyring = source.load()
    rows = list(DataKey.objects.order_by("created_at", "id"))
    for row in rows:
        _unwrap(keyring, row)
    previous = tuple(keyring.keys)
    if dry_run:
        return RotationReport(previous, None, len(rows), (), is_dry_run=True)

    with transaction.atomic():
        _lock_data_keys()
        new_id = source.add_master_key()
        keyring = source.load()
        rewrapped = _rewrap_all(keyring, new_id)

    with transaction.atomic():
        # Under the same lock that creators of data keys take, so no key can be
        # wrapped by an old master key between this check and the retirement.
        _lock_data_keys()
        if DataKey.objects.exclude(master_key_id=new_id).exists():
            raise CryptoError(
                "Data keys were wrapped by an old master key during rotation; nothing "
                "was retired. Run `safehold keys rotate` again."
            )
        retired = source.retire_except(new_id)
    with _cache.lock:
        _cache.keyring = None
    return RotationReport(previous, new_id, rewrapped, retired, is_dry_run=False)


def unreadable_data_keys(keyring: MasterKeyring) -> tuple[uuid.UUID, ...]:
    """Return the ids of data keys that `keyring` cannot unwrap (empty when all is well)."""
    unreadable: list[uuid.UUID] = []
    for row in DataKey.objects.order_by("created_at", "id"):
        try:
            _unwrap(keyring, row)
        except KeyMismatch:
            unreadable.append(row.id)
    return tuple(unreadable)


def _rewrap_all(keyring: MasterKeyring, new_id: str) -> int:
    count = 0
    rows = DataKey.objects.select_for_update().exclude(master_key_id=new_id).order_by("id")
    for row in rows:
        key = _unwrap(keyring, row)
        row.wrapped = _wrap(keyring.keys[new_id], row, key)
        row.master_key_id = new_id
        row.save(update_fields=["wrapped", "master_key_id"])
        count += 1
    return count


def _token_aad(key_id: uuid.UUID, aad: bytes) -> bytes:
    return _TOKEN_AAD_PREFIX + key_id.bytes + aad


def _parse_token(token: str) -> tuple[uuid.UUID, bytes, bytes]:
    malformed = DecryptionError("Ciphertext refused: the token is malformed.")
    if not isinstance(token, str) or not token.startswith(TOKEN_PREFIX):
        raise malformed
    body = token[len(TOKEN_PREFIX) :]
    if not _TOKEN_BODY.fullmatch(body):
        raise malformed
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError):
        raise malformed from None
    # Reject non-canonical encodings: otherwise some altered characters would decode to
    # the same bytes and an altered token would be accepted.
    if base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") != body:
        raise malformed
    if len(raw) < _KEY_ID_BYTES + _NONCE_BYTES + _TAG_BYTES:
        raise malformed
    key_id = uuid.UUID(bytes=raw[:_KEY_ID_BYTES])
    nonce = raw[_KEY_ID_BYTES : _KEY_ID_BYTES + _NONCE_BYTES]
    return key_id, nonce, raw[_KEY_ID_BYTES + _NONCE_BYTES :]


def _wrap(master_key: bytes, row: DataKey, key: bytes) -> str:
    nonce = secrets.token_bytes(_NONCE_BYTES)
    sealed = AESGCM(master_key).encrypt(nonce, key, row.wrap_aad)
    return base64.b64encode(nonce + sealed).decode("ascii")


def _unwrap(keyring: MasterKeyring, row: DataKey) -> bytes:
    """Return the data key in `row`; raise KeyMismatch if `keyring` cannot open it."""
    master_key = keyring.keys.get(row.master_key_id)
    if master_key is None:
        raise KeyMismatch(
            f"Data key {row.id} is wrapped by master key {row.master_key_id}, which the key "
            f"source does not hold (it holds: {', '.join(sorted(keyring.keys))}): the master "
            "key does not match this database. Restore the key file that belongs to it."
        )
    try:
        raw = base64.b64decode(row.wrapped, validate=True)
        key = AESGCM(master_key).decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], row.wrap_aad)
    except (InvalidTag, binascii.Error, ValueError):
        raise KeyMismatch(
            f"Data key {row.id} cannot be unwrapped by master key {row.master_key_id}: the "
            "master key does not match this database, or the data key record was altered."
        ) from None
    if len(key) != _DATA_KEY_BYTES:
        raise KeyMismatch(f"Data key {row.id} has the wrong length; the record was altered.")
    return key


def _keyring(*, needed_id: str | None = None, fresh: bool = False) -> MasterKeyring:
    """Return the cached keyring, reloading it if stale, missing `needed_id`, or asked to."""
    with _cache.lock:
        keyring = _cache.keyring
        if keyring is not None and not fresh and (needed_id is None or needed_id in keyring.keys):
            return keyring
        if _cache.source is None:
            _cache.source = configured_source()
        # Loading under the lock: one thread reads the key file, the others wait for it.
        keyring = _cache.source.load()
        _cache.keyring = keyring
        return keyring


def _data_key(key_id: uuid.UUID) -> bytes:
    """Return the unwrapped data key `key_id`; raise DecryptionError if we have no such key."""
    with _cache.lock:
        cached = _cache.data_keys.get(key_id)
    if cached is not None:
        return cached
    row = DataKey.objects.filter(pk=key_id).first()
    if row is None:
        raise DecryptionError(
            f"Ciphertext refused: it names data key {key_id}, which this database does not hold."
        )
    key = _unwrap(_keyring(needed_id=row.master_key_id), row)
    with _cache.lock:
        _cache.data_keys[key_id] = key
    return key


def _active_key(purpose: str) -> tuple[uuid.UUID, bytes]:
    """Return (id, key) of the active data key for `purpose`, creating it on first use."""
    with _cache.lock:
        entry = _cache.active.get(purpose)
        if entry is not None and entry[1] > time.monotonic():
            return entry[0], _cache.data_keys[entry[0]]
    row = DataKey.objects.filter(purpose=purpose, is_active=True).first()
    if row is None:
        with transaction.atomic():
            _lock_data_keys()
            # Re-check under the lock: another process may have just created it.
            row = DataKey.objects.filter(purpose=purpose, is_active=True).first()
            if row is None:
                row, key = _create_data_key(purpose)
                _remember_active_after_commit(row, key)
                return row.id, key
    key = _data_key(row.id)
    _remember_active_after_commit(row, key)
    return row.id, key


def _create_data_key(purpose: str) -> tuple[DataKey, bytes]:
    """Insert a new active data key wrapped by the source's current master key.

    Callers hold _lock_data_keys(). The keyring is reloaded rather than taken from
    the cache, so a key is never wrapped by a master key a rotation has just retired.
    """
    keyring = _keyring(fresh=True)
    key = secrets.token_bytes(_DATA_KEY_BYTES)
    row = DataKey(purpose=purpose, master_key_id=keyring.current_id, is_active=True)
    row.wrapped = _wrap(keyring.current_key, row, key)
    row.save(force_insert=True)
    return row, key


def _remember_active_after_commit(row: DataKey, key: bytes) -> None:
    # Only after commit: a key created in a transaction that rolls back must not go
    # on sealing data in this process, or those tokens would name a missing key.
    # Index keys never change, so they are remembered for good.
    ttl = math.inf if row.purpose == DataKey.Purpose.INDEX else _ACTIVE_KEY_TTL_SECONDS

    def remember() -> None:
        with _cache.lock:
            _cache.data_keys[row.id] = key
            _cache.active[row.purpose] = (row.id, time.monotonic() + ttl)

    transaction.on_commit(remember, using=DataKey.objects.db)


def _lock_data_keys() -> None:
    """Serialise creating and re-wrapping data keys across processes, until commit.

    Without it a process could wrap a new data key under a master key that a
    concurrent rotation is about to retire. PostgreSQL gets a table lock that blocks
    other writers of the table (readers go on); SQLite gets its database write lock
    through a write statement that changes nothing.
    """
    connection = connections[DataKey.objects.db]
    table = connection.ops.quote_name(DataKey._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
        else:
            cursor.execute(f"UPDATE {table} SET is_active = is_active WHERE 1 = 0")  # noqa: S608
