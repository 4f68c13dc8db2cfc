"""Master keys: where they come from, and the errors every caller may meet.

Master keys never touch the database. They only wrap the data keys stored in
`DataKey` rows, so a stolen database dump is useless without them. All key material
reaches the rest of the app through one interface, `KeySource.load()`, so a source
that keeps keys only in memory (unlocked by several coordinators) can replace the key
file without changing any caller.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets
import stat
import tempfile
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, Protocol, runtime_checkable

from django.conf import settings

MASTER_KEY_BYTES = 32
KEY_FILE_FORMAT = "safehold-master-keys"
KEY_FILE_VERSION = 1


class CryptoError(Exception):
    """Base class for every failure of the crypto app; messages never carry secrets."""


class KeyUnavailable(CryptoError):
    """The master keys cannot be loaded (missing, unreadable, unsafe or malformed)."""


class KeyMismatch(CryptoError):
    """A data key cannot be unwrapped by any master key we hold."""


class DecryptionError(CryptoError):
    """A ciphertext was altered, moved to another row or field, or is malformed."""


@dataclass(frozen=True)
class MasterKeyring:
    """The master keys currently held: id -> 32-byte key, and the one that wraps new keys."""

    # repr=False: a keyring printed in a traceback or log must not reveal key material.
    keys: Mapping[str, bytes] = field(repr=False)
    current_id: str

    def __post_init__(self) -> None:
        if self.current_id not in self.keys:
            raise ValueError(f"current master key {self.current_id!r} is not in the keyring")
        for key_id, key in self.keys.items():
            if not isinstance(key, bytes) or len(key) != MASTER_KEY_BYTES:
                raise ValueError(f"master key {key_id!r} must be {MASTER_KEY_BYTES} bytes")
        # Freeze the mapping too, so no caller can swap a key inside a shared keyring.
        object.__setattr__(self, "keys", MappingProxyType(dict(self.keys)))

    @property
    def current_key(self) -> bytes:
        """Return the master key that wraps newly created data keys."""
        return self.keys[self.current_id]


class KeySource(Protocol):
    """Anything that can hand over the master keys; the only way keys enter the app."""

    def load(self) -> MasterKeyring:
        """Return the master keys, or raise KeyUnavailable with what to do about it."""
        ...


@runtime_checkable
class RotatableKeySource(KeySource, Protocol):
    """A key source that can also create and retire master keys (needed for rotation)."""

    def add_master_key(self) -> str:
        """Create a new master key, make it current, keep the old ones; return its id."""
        ...

    def retire_except(self, current_id: str) -> tuple[str, ...]:
        """Drop every master key but `current_id` (which must be current); return dropped ids."""
        ...


def new_master_key_id(now: datetime | None = None) -> str:
    """Return a fresh, human-readable master key id such as `mk-20250101-3fa2c9d1`."""
    moment = now or datetime.now(tz=UTC)
    return f"mk-{moment:%Y%m%d}-{secrets.token_hex(4)}"


class KeyFileSource:
    """Master keys kept in a JSON file outside the database, readable only by its owner.

    The file must not grant any permission to group or others (like OpenSSH private
    keys): a group-readable key file lets every local account decrypt a stolen
    database, and a writable one lets it plant a key. We refuse to load such a file
    rather than warn, because a warning in a log is easy to miss and the cost of a
    leak is a life. Container secrets must therefore be mounted with mode 0400/0600.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"KeyFileSource({str(self.path)!r})"

    def init(self: KeyFileSource | Path) -> KeyFileSource:
        """Create the key file holding one new master key; raise CryptoError if it exists.

        Call it as `KeyFileSource.init(path)` or `KeyFileSource(path).init()`.
        """
        source = self if isinstance(self, KeyFileSource) else KeyFileSource(Path(self))
        source.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        key_id = new_master_key_id()
        document = _document(key_id, [_entry(key_id, secrets.token_bytes(MASTER_KEY_BYTES))])
        try:
            _write_atomically(source.path, document, replace=False)
        except FileExistsError:
            raise CryptoError(
                f"Key file {source.path} already exists; refusing to overwrite it. "
                "Overwriting it would make every encrypted record unreadable."
            ) from None
        return source

    def load(self) -> MasterKeyring:
        """Return the keyring in the file; raise KeyUnavailable saying which path and why."""
        document = self._read()
        try:
            if document.get("format") != KEY_FILE_FORMAT:
                raise ValueError("not a Safehold key file")
            if document.get("version") != KEY_FILE_VERSION:
                raise ValueError(f"unsupported version {document.get('version')!r}")
            keys: dict[str, bytes] = {}
            for entry in document["keys"]:
                key_id = str(entry["id"])
                if key_id in keys:
                    raise ValueError(f"master key id {key_id!r} appears twice")
                keys[key_id] = base64.b64decode(entry["key"], validate=True)
            return MasterKeyring(keys=keys, current_id=str(document["current"]))
        except (KeyError, TypeError, ValueError, binascii.Error) as error:
            # The message names a field or a key id at most: decoding errors do not
            # echo their input, so key material never reaches it.
            raise KeyUnavailable(
                f"Key file {self.path} is malformed ({error.__class__.__name__}: {error}). "
                "Restore it from your key backup."
            ) from None

    def add_master_key(self) -> str:
        """Append a new master key and make it current, keeping the old ones; return its id."""
        self.load()  # Validate before rewriting: never build on a damaged file.
        document = self._read()
        key_id = new_master_key_id()
        entries = [*document["keys"], _entry(key_id, secrets.token_bytes(MASTER_KEY_BYTES))]
        _write_atomically(self.path, _document(key_id, entries), replace=True)
        return key_id

    def retire_except(self, current_id: str) -> tuple[str, ...]:
        """Keep only `current_id`; raise CryptoError if it is not the file's current key."""
        keyring = self.load()
        if keyring.current_id != current_id:
            # Another rotation made a newer key current; dropping it would orphan the
            # data keys it already wraps.
            raise CryptoError(
                f"Key file {self.path} has current master key {keyring.current_id}, "
                f"not {current_id}; refusing to retire keys."
            )
        document = self._read()
        kept = [entry for entry in document["keys"] if entry["id"] == current_id]
        _write_atomically(self.path, _document(current_id, kept), replace=True)
        return tuple(key_id for key_id in keyring.keys if key_id != current_id)

    def _read(self) -> dict[str, Any]:
        """Return the parsed file after checking it is a private regular file."""
        try:
            fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except FileNotFoundError:
            raise KeyUnavailable(
                f"Key file {self.path} does not exist. For a new installation run "
                "`safehold keys init`; otherwise restore the key file from your key "
                "backup (or point SAFEHOLD_KEY_FILE at it)."
            ) from None
        except OSError as error:
            raise KeyUnavailable(
                f"Key file {self.path} cannot be read ({error.strerror}); check its owner "
                "and permissions."
            ) from None
        try:
            # fstat on the open descriptor: the file we check is the file we read.
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise KeyUnavailable(f"Key file {self.path} is not a regular file.")
            if os.name == "posix" and info.st_mode & 0o077:
                raise KeyUnavailable(
                    f"Key file {self.path} is accessible to other users "
                    f"(mode {stat.S_IMODE(info.st_mode):04o}); run `chmod 600 {self.path}`."
                )
            with os.fdopen(os.dup(fd), "rb") as handle:
                raw = handle.read()
        finally:
            os.close(fd)
        try:
            document = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise KeyUnavailable(
                f"Key file {self.path} is malformed (not JSON). Restore it from your key backup."
            ) from None
        if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
            raise KeyUnavailable(
                f"Key file {self.path} is malformed (no key list). Restore it from your key backup."
            )
        return document


def configured_source() -> KeySource:
    """Return the key source configured for this installation (settings.SAFEHOLD_KEY_FILE)."""
    return KeyFileSource(Path(settings.SAFEHOLD_KEY_FILE))


def _entry(key_id: str, key: bytes) -> dict[str, str]:
    return {
        "id": key_id,
        "key": base64.b64encode(key).decode("ascii"),
        "created": datetime.now(tz=UTC).isoformat(timespec="seconds"),
    }


def _document(current_id: str, entries: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "format": KEY_FILE_FORMAT,
        "version": KEY_FILE_VERSION,
        "current": current_id,
        "keys": entries,
    }


def _write_atomically(path: Path, document: dict[str, Any], *, replace: bool) -> None:
    """Write `document` to `path` so readers see the old file or the new one, never half.

    The temporary file is created 0600 by mkstemp and fsynced before it takes the
    final name. With replace=False the name is taken with link(), which fails if the
    path exists, so two concurrent `keys init` can never overwrite each other.
    """
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(document, handle, indent=2)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        if replace:
            os.replace(temporary, path)
        else:
            os.link(temporary, path)
    finally:
        with suppress(FileNotFoundError):
            os.unlink(temporary)
    _fsync_directory(path.parent)


def _fsync_directory(directory: Path) -> None:
    """Persist the rename itself; without this a power cut can bring the old file back."""
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
