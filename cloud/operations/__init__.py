"""Running the house: guest service requests and bookable facilities (docs/operations.md)."""
