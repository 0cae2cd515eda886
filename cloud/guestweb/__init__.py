"""Guests serve themselves: the public booking engine, online payment and the guest\x27s own pages."""
