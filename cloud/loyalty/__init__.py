"""Guests for life: one membership across the chain, points, tiers and the stays they come from."""
