"""The `safehold` command: Django's management commands with Safehold's settings."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safehold.settings")
    from django.core.management import execute_from_command_line

    from safehold.crypto.keys import CryptoError

    try:
        execute_from_command_line(["safehold", *(argv if argv is not None else sys.argv[1:])])
    except CryptoError as error:
        # A missing or wrong key is an operator's problem to fix, not a crash to debug.
        sys.stderr.write(f"safehold: {error}\n")
        sys.exit(3)


if __name__ == "__main__":
    main()
