"""Translations (English, Spanish, Simplified Chinese) and locale-aware formatting for the portal."""
