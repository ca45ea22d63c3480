"""How each awarding body wants its claim file: columns, dates, names, result codes, timing.

Where the facts come from (the public sources are summarised in the project's market notes,
section 6) and what is our own choice:

- Pearson (BTEC/NVQ claims on Edexcel Online, support.pearson.com "Certification BTEC NVQ
  Claims"; entry data rules on qualifications.pearson.com):
  * fact: names in upper case, A-Z and ' . : ( ) / - only, no diacritics, the legal name;
  * fact: dates as dd/mm/yyyy;
  * fact: claim types "Full award" and "Interim" (a certificate of unit credit, the
    registration stays open); grades P/M/D, so a pass is "P";
  * fact: at least 10 weeks between registration and a certification claim;
  * our choice: the column headers and their order. Pearson's bulk tool is a template we have
    not seen; these are the fields its claims need, named plainly.
- Everyone else (NCFE, SFJ, IMI, Ascentis) uses the default profile:
  * our choice entirely: no public claim-file layout was found. The columns follow the
    vocabulary of the Aptem and Ofqual data formats (Qualification number, ULN, Registration
    number, Achieved date), ISO dates (yyyy-mm-dd) and names as typed. No minimum wait.

Names: a person has one `full_name`; we take its last word as the surname and the rest as the
forenames (our choice; "Mary Ann Smith" → Smith / Mary Ann).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from core.csv_cells import safe_cell


def split_name(full_name: str) -> tuple[str, str]:
    """(surname, forenames) from one full name."""
    parts = full_name.split()
    if not parts:
        return "", ""
    return parts[-1], " ".join(parts[:-1])


def _as_typed(name: str) -> str:
    return " ".join(name.split())


# Letters Unicode does not decompose into a base letter and an accent.
_PEARSON_PLAIN = str.maketrans(
    {"’": "'", "‘": "'", "`": "'", "Ł": "L", "ł": "l", "Ø": "O", "ø": "o", "Đ": "D", "đ": "d"}
    | {"Æ": "AE", "æ": "ae", "Œ": "OE", "œ": "oe", "Þ": "TH", "þ": "th"}
)
_PEARSON_REFUSED = re.compile(r"[^A-Z'.:()/\- ]")


def pearson_name(name: str) -> str:
    """Upper case A-Z ' . : ( ) / - and spaces, diacritics dropped (É → E, ß → SS)."""
    name = name.translate(_PEARSON_PLAIN)
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).upper()
    return " ".join(_PEARSON_REFUSED.sub("", plain).split())


@dataclass(frozen=True)
class ClaimProfile:
    code: str
    label: str
    # (header, field) in file order; the fields are the keys of `values` below.
    columns: tuple[tuple[str, str], ...]
    date_format: str
    normalise_name: Callable[[str], str]
    result_codes: dict[str, str] = field(default_factory=lambda: {"Pass": "Pass"})
    min_weeks: int = 0
    full_claim_type: str = "Full award"
    unit_claim_type: str = "Unit credit"

    @property
    def headers(self) -> list[str]:
        return [header for header, _ in self.columns]

    def row(
        self,
        *,
        centre_number: str,
        registration_number: str,
        uln: str,
        full_name: str,
        date_of_birth: date | None,
        qualification_number: str,
        is_unit: bool,
        unit_references: list[str],
        result: str,
        achievement_date: date | None,
    ) -> list[str]:
        surname, forenames = split_name(full_name)
        values = {
            "centre_number": centre_number,
            "registration_number": registration_number,
            "uln": uln,
            "surname": self.normalise_name(surname),
            "forenames": self.normalise_name(forenames),
            "date_of_birth": date_of_birth.strftime(self.date_format) if date_of_birth else "",
            "qualification_number": qualification_number,
            "claim_type": self.unit_claim_type if is_unit else self.full_claim_type,
            "unit_references": ";".join(unit_references),
            "result": self.result_codes.get(result, result),
            "achievement_date": achievement_date.strftime(self.date_format)
            if achievement_date
            else "",
        }
        return [safe_cell(values[key] or "") for _, key in self.columns]


DEFAULT = ClaimProfile(
    code="",
    label="Default",
    columns=(
        ("Centre number", "centre_number"),
        ("Registration number", "registration_number"),
        ("ULN", "uln"),
        ("Surname", "surname"),
        ("Forenames", "forenames"),
        ("Date of birth", "date_of_birth"),
        ("Qualification number", "qualification_number"),
        ("Unit references", "unit_references"),
        ("Result", "result"),
        ("Achievement date", "achievement_date"),
    ),
    date_format="%Y-%m-%d",
    normalise_name=_as_typed,
)

PEARSON = ClaimProfile(
    code="PEARSON",
    label="Pearson",
    columns=(
        ("Centre number", "centre_number"),
        ("Registration number", "registration_number"),
        ("ULN", "uln"),
        ("Last names", "surname"),
        ("First names", "forenames"),
        ("Date of birth", "date_of_birth"),
        ("Qualification number", "qualification_number"),
        ("Claim type", "claim_type"),
        ("Unit references", "unit_references"),
        ("Grade", "result"),
        ("Achievement date", "achievement_date"),
    ),
    date_format="%d/%m/%Y",
    normalise_name=pearson_name,
    result_codes={"Pass": "P"},
    min_weeks=10,
    full_claim_type="Full award",
    unit_claim_type="Interim",
)

PROFILES: dict[str, ClaimProfile] = {PEARSON.code: PEARSON}


def profile_for(awarding_body_code: str) -> ClaimProfile:
    return PROFILES.get(awarding_body_code, DEFAULT)
