"""Staff attendance: staff cards, punches at time clocks, hours, late arrivals, missing punches."""
