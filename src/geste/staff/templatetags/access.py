"""`{% load access %}{% if user|may:"staff:staff_pdf:compte-rendu" %}`: a page shows each role
only what the role table (geste.web.access) lets it open."""

from __future__ import annotations

from typing import Any

from django import template

from geste.pathway.report_links import report_link_accesses
from geste.web.access import may as _may

register = template.Library()


@register.filter
def may(user: Any, key: str) -> bool:
    return _may(user, key)


@register.simple_tag
def link_accesses(link: Any) -> Any:
    """Reads and refused attempts of a report link, from the audit trail."""
    return report_link_accesses(link)
