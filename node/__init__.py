"""The property node: the desk's offline twin at the hotel (replica, outbox, link to the cloud)."""
