"""iCalendar (RFC 5545) feeds: export of what is sold, import of each channel's holds."""
