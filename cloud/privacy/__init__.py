"""Every copy of a guest's personal data outside the registry: found, exported and erased."""
