"""Bundled data files: fonts, translations, reference lists, demo data."""
