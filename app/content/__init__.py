"""Curriculum and labs read from files into typed, validated objects (no database)."""

from app.content.catalog import Catalog, get_catalog, load_catalog
from app.content.errors import ContentError

__all__ = ["Catalog", "ContentError", "get_catalog", "load_catalog"]
