"""Where to get help now: `safety/resources/{fi,sv,en}.yaml`, kept by the organisation.

Numbers and opening hours change, so each file says when someone last checked it against the
services' own pages; admins see that date in the panel. A broken file stops start-up.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from core.crisis import ABUSE

RESOURCES_DIR = Path(__file__).resolve().parent.parent / "safety" / "resources"


class Resource(BaseModel):
    """A crisis service: a phone number to call, a chat to open, or both."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str = Field(min_length=1, max_length=60)
    phone: str | None = Field(default=None, pattern=r"^\+?[0-9 ]{3,20}$")
    url: str | None = Field(default=None, pattern=r"^https://")
    hours: str = Field(min_length=1, max_length=80)
    source: str | None = Field(default=None, pattern=r"^https://")

    @model_validator(mode="after")
    def _reachable(self) -> Resource:
        if self.phone is None and self.url is None:
            raise ValueError(f"{self.id}: give a phone number or an https address")
        return self


class ResourceList(BaseModel):
    """One language's lists, most urgent first (112 first): for self-harm and for abuse."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    language: str = Field(pattern="^(fi|sv|en)$")
    checked: date
    resources: list[Resource] = Field(min_length=1)
    abuse: list[Resource] = Field(min_length=1)

    def for_kind(self, kind: str) -> list[Resource]:
        """The list for this kind of crisis (core.crisis SELF_HARM or ABUSE)."""
        return self.abuse if kind == ABUSE else self.resources

    def find(self, resource_id: str) -> Resource | None:
        """A resource by its id, from either list."""
        return next((r for r in (*self.resources, *self.abuse) if r.id == resource_id), None)


class ResourcesError(ValueError):
    """A resources file is broken; the message says which and why."""


@lru_cache(maxsize=4)
def load_resources(folder: Path = RESOURCES_DIR) -> dict[str, ResourceList]:
    """Every language's list, by language; fi, sv and en must all be there."""
    lists: dict[str, ResourceList] = {}
    for path in sorted(folder.glob("*.yaml")):
        try:
            found = ResourceList.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
        except (yaml.YAMLError, ValidationError) as exc:
            raise ResourcesError(f"{path.name}: {exc}") from exc
        lists[found.language] = found
    missing = {"fi", "sv", "en"} - lists.keys()
    if missing:
        raise ResourcesError(f"{folder}: no resources for {', '.join(sorted(missing))}")
    return lists
