"""Alerts from telemetry: a pure rules engine, its persistence, and the notifier port."""
