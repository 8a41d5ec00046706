"""Lesson content as data, torch-free: the TOML files (``lesson``), the list of lessons (``catalog``) and the
glossary (``glossary``)."""
