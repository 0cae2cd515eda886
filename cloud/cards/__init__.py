"""Keycards at the front desk: a stay's cards, desk stations and the jobs that encode tags."""
