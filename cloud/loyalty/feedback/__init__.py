"""Feedback: a short survey after every stay and a check in the middle of longer ones."""
