"""The official Open Badges 3.0 JSON Schemas (1EdTech), from a package, for the badge tests.

No installable package ships them: the openbadgeslib source distribution on PyPI carries them,
verbatim and self-contained, as its conformance tests' fixtures (tests/fixtures/ob_schemas/).
So `make test` (and, failing that, the first test that needs them) asks pip for exactly the
sdist of the openbadgeslib version pinned in pyproject.toml and takes the schema files out of
it into .cache/ob-schemas/: from the registry with its ordinary client, never pasted into this
repository, never fetched from 1EdTech's site at run time.

    python -m tests.support.ob_schemas     # what `make test` runs first
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import tempfile
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".cache" / "ob-schemas"
CREDENTIAL_SCHEMA = "ob_v3p0_achievementcredential_schema.json"
PROFILE_SCHEMA = "ob_v3p0_profile_schema.json"
FILES = (CREDENTIAL_SCHEMA, PROFILE_SCHEMA)


def schema_dir() -> Path:
    """The folder holding the schemas of the installed openbadgeslib's version."""
    return CACHE / version("openbadgeslib")


def ensure() -> Path:
    folder = schema_dir()
    if all((folder / name).exists() for name in FILES):
        return folder
    wanted = f"openbadgeslib=={version('openbadgeslib')}"
    with tempfile.TemporaryDirectory() as download:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--no-binary",
                ":all:",
                wanted,
                "-d",
                download,
            ],
            check=True,
        )
        (archive,) = Path(download).glob("openbadgeslib-*.tar.gz")
        folder.mkdir(parents=True, exist_ok=True)
        with tarfile.open(archive) as sdist:
            for member in sdist.getmembers():
                name = Path(member.name).name
                if member.isfile() and name in FILES and "/ob_schemas/" in member.name:
                    source = sdist.extractfile(member)
                    assert source is not None
                    (folder / name).write_bytes(source.read())
    missing = [name for name in FILES if not (folder / name).exists()]
    if missing:
        raise RuntimeError(f"{wanted}'s source distribution has no {', '.join(missing)}")
    return folder


if __name__ == "__main__":
    print(ensure())
