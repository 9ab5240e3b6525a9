"""Verifying who someone is, behind pluggable interfaces.

- :class:`EnterpriseVerifier`: 工商认证, the enterprise against the business-registration authority.
- :class:`IdentityVerifier`: a person's identity data (real-name level 二级).

The built-in implementations read data files of synthetic records (``data/*.yaml``), for
development and tests; production plugs in the authorities' services through the same calls.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from shared.yaml_files import read_yaml

DATA = Path(__file__).parent / "data"


@dataclass(frozen=True)
class EnterpriseClaim:
    enterprise_name: str
    credit_code: str
    legal_representative: str
    legal_rep_id_number: str


@dataclass(frozen=True)
class PersonClaim:
    name: str
    id_type: str
    id_number: str
    valid_from: dt.date
    valid_to: dt.date | None  # None: 长期


class EnterpriseVerifier:
    async def verify(self, claim: EnterpriseClaim) -> bool:
        raise NotImplementedError


class IdentityVerifier:
    async def verify(self, claim: PersonClaim) -> bool:
        raise NotImplementedError


class RegisterFileEnterpriseVerifier(EnterpriseVerifier):
    def __init__(self, path: Path = DATA / "enterprises.yaml"):
        records = read_yaml(path)["enterprises"]
        self._by_code = {r["credit_code"]: r for r in records}

    async def verify(self, claim: EnterpriseClaim) -> bool:
        record = self._by_code.get(claim.credit_code)
        return (
            record is not None
            and record["name"] == claim.enterprise_name.strip()
            and record["legal_representative"] == claim.legal_representative.strip()
            and record["legal_rep_id_number"] == claim.legal_rep_id_number
        )


class RegisterFileIdentityVerifier(IdentityVerifier):
    def __init__(self, path: Path = DATA / "persons.yaml"):
        records = read_yaml(path)["persons"]
        self._by_number = {r["id_number"]: r for r in records}

    async def verify(self, claim: PersonClaim) -> bool:
        record = self._by_number.get(claim.id_number)
        if record is None or record["name"] != claim.name.strip() or record["id_type"] != claim.id_type:
            return False
        valid_to = record.get("valid_to")
        return record["valid_from"] == claim.valid_from and (valid_to or None) == claim.valid_to
