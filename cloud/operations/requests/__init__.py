"""Guest service requests: types per department, a lifecycle, a board, escalation."""
