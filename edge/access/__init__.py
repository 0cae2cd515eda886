"""The gateway's access decision: signed keycards checked offline against local state."""
