"""A service's details, written once in the user's language; every channel lays them out.

All the fields an editor can give are shown (who it is for and what to bring included), in one
order, with a label where the value alone would not say what it is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.content.model import Service


def _(message: str) -> str:
    """Mark a string for translation; it is looked up in the catalogs when used."""
    return message


@dataclass(frozen=True)
class Detail:
    """One line of a service: which field, its label in the user's language, and its value."""

    field: str
    label: str
    value: str


@dataclass(frozen=True)
class ServiceCard:
    """A service as shown to a user."""

    name: str
    details: tuple[Detail, ...]
    lat: float | None = None
    lon: float | None = None

    def value(self, field: str) -> str | None:
        """The value of one field, if the service has it."""
        return next((d.value for d in self.details if d.field == field), None)

    @property
    def contact(self) -> str | None:
        """The one way to reach it a short message has room for: the phone, else the page."""
        return self.value("phone") or self.value("url") or self.value("email")


# Display order, and the label of each field (None: the value speaks for itself).
_FIELDS: tuple[tuple[str, str | None], ...] = (
    ("phone", None),
    ("address", None),
    ("hours", None),
    ("cost", _("Cost")),
    ("eligibility", _("Who can go")),
    ("documents", _("Bring")),
    ("languages", _("Languages")),
    ("email", None),
    ("url", None),
)


def describe(
    service: Service, translate: Callable[[str], str], language_name: Callable[[str], str]
) -> ServiceCard:
    """The card of one service in the user's language."""
    values = {
        "phone": service.phone,
        "address": service.address,
        "hours": service.hours,
        "cost": service.cost,
        "eligibility": service.eligibility,
        "documents": service.documents,
        "languages": ", ".join(language_name(code) for code in service.languages) or None,
        "email": service.email,
        "url": service.url,
    }
    details = [
        Detail(field, translate(label) if label else "", value)
        for field, label in _FIELDS
        if (value := values[field])
    ]
    if service.as_of is not None and service.phone:
        dated = translate(_("contact details published {date}")).format(
            date=service.as_of.isoformat()
        )
        details.append(Detail("as_of", "", dated))
    return ServiceCard(service.name, tuple(details), service.lat, service.lon)
