"""A cheap Argon2id for the test suite only; production uses Django's default costs."""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher


class QuickArgon2Hasher(Argon2PasswordHasher):
    # Same algorithm (Argon2id) and code path; the default 100 MiB per hash would make
    # every persona cost a third of a second on a two-core machine.
    algorithm = "argon2"
    time_cost = 1
    memory_cost = 256
    parallelism = 1
