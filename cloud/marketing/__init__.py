"""Marketing to guests who opted in: segments, campaigns, unsubscribes honoured at once, results."""
