"""OpenTravel OTA XML: ARI pushed to a channel, reservations received from it."""
