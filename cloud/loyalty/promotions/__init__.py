"""Chain promotions and offer codes: defined once by headquarters, sold at each property."""
