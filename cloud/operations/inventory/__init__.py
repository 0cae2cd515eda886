"""Stock per store room, moves, minibar charges, reorder points, suppliers and purchase orders."""
