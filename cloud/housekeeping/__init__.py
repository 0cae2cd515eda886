"""Housekeeping: the room-cleaning board and the state changes staff send to floor gateways."""
