"""Loaded by pytest before Django (`-p safehold.testing_env`): mark the process as a test run.

It must run before settings are imported, which a conftest.py is too late for.
"""

import os

os.environ["SAFEHOLD_TESTING"] = "1"
