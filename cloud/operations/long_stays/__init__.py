"""Long stays billed by contract: terms, bills per cycle, meter readings, parcels."""
