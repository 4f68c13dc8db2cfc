#!/usr/bin/env python
"""Django's manage.py; `safehold` (the installed console script) does the same."""

from safehold.cli import main

if __name__ == "__main__":
    main()
