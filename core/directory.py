"""The service directory (services/services.yaml), edited by the organisation."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

SERVICES_FILE = Path(__file__).resolve().parent.parent / "services" / "services.yaml"


class Service(BaseModel):
    """A place to get help. `name` and `description` are msgids; translations in locales/."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    description: str
    url: str | None = Field(default=None, pattern=r"^https://")
    phone: str | None = None


class Directory(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    services: list[Service]


class DirectoryError(ValueError):
    """The services file is broken; the message says where."""


@lru_cache(maxsize=4)
def load_directory(path: Path = SERVICES_FILE) -> dict[str, Service]:
    """The services by id."""
    try:
        directory = Directory.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (yaml.YAMLError, ValidationError) as exc:
        raise DirectoryError(f"{path.name}: {exc}") from exc
    ids = [s.id for s in directory.services]
    if len(set(ids)) != len(ids):
        raise DirectoryError(f"{path.name}: service ids must be unique")
    return {s.id: s for s in directory.services}
