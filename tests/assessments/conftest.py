"""Fixtures shared by the assessment tests."""

from tests.support.did_web_site import another_site

__all__ = ["another_site"]
