"""Hardware adapters of the floor gateway: the serial bus to door nodes, GPIO."""
