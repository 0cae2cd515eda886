"""Keycard signing: the property's Ed25519 keys, their rotation windows, and the issuer."""
