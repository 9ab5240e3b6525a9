"""The list of the most common breached passwords (shared/data/README.md says where it comes
from), and the check of a new password against it (ASVS 5.0 V6.2.4, NIST SP 800-63B §3.1.1.2).

A user who is told "not Password" types ``Password@123``; one told "not 1qaz2wsx" types
``1qaz@WSX``. So besides the password itself (case-insensitively) the check tries the forms
such passwords are made of: the common word with its trailing digits and symbols dropped,
symbols read as the digits of the same keys (``@`` is shift-2), and leetspeak read back
(``P@ssw0rd``).
"""
from __future__ import annotations

import functools
import gzip
import string
from importlib import resources

# Symbols typed with shift on the digit row of a US keyboard, read back as those digits.
UNSHIFT = str.maketrans("!@#$%^&*()", "1234567890")
LEET = str.maketrans({"@": "a", "4": "a", "0": "o", "1": "i", "!": "i", "3": "e", "$": "s", "5": "s", "7": "t"})
AFFIXES = string.digits + string.punctuation


@functools.cache
def common_passwords() -> frozenset[str]:
    """Read once per process, on first use: read-only reference data (about 56,000 entries)."""
    data = resources.files("shared").joinpath("data/common-passwords.txt.gz").read_bytes()
    return frozenset(gzip.decompress(data).decode().split())


def guessable_forms(password: str) -> set[str]:
    lower = password.lower()
    cores = {lower, lower.rstrip(AFFIXES), lower.strip(AFFIXES)}
    forms = {core for core in cores if core}
    return forms | {form.translate(table) for form in forms for table in (UNSHIFT, LEET)}


def is_common(password: str) -> bool:
    """True when the password, or a form it is visibly made from, is on the list."""
    listed = common_passwords()
    return any(form in listed for form in guessable_forms(password))
