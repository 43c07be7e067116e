"""Puente: where and how to get help, for migrants and returnees, in their own language."""

__version__ = "0.1.0"
