"""The hotel's numbers: occupancy, ADR, RevPAR, revenue, pickup and pace (docs/reports.md)."""
