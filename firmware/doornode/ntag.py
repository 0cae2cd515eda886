# The keycard as the desk writes it on an NTAG21x (docs/card-format.md, "On the tag"): one NDEF
# message TLV from page 4 holding one short record of type "unknown" whose payload is the card,
# then a terminator. Strict about that one layout: anything else is not one of our cards.
FIRST_PAGE = 4
# The largest card (128 bytes) and its 6 bytes of TLV take pages 4..37 of any NTAG21x.
LAST_PAGE = 37
USER_BYTES = (LAST_PAGE - FIRST_PAGE + 1) * 4
NDEF_TLV = 0x03
NULL_TLV = 0x00
RECORD_HEADER = 0xD5  # MB | ME | SR, TNF 5 (unknown)
MAX_CARD = 128

READ = 0x30  # NTAG READ: 4 pages
FAST_READ = 0x3A  # NTAG21x FAST_READ start end: every page in one answer


class TagError(ValueError):
    """The tag's memory does not hold a keycard."""


def unwrap(memory):
    """The card bytes from user memory starting at page 4; raises TagError."""
    i = 0
    while i < len(memory) and memory[i] == NULL_TLV:
        i += 1
    if i >= len(memory) or memory[i] != NDEF_TLV:
        raise TagError("no NDEF message")
    if i + 5 > len(memory):
        raise TagError("NDEF TLV cut short")
    length, header, type_len, size = memory[i + 1], memory[i + 2], memory[i + 3], memory[i + 4]
    if length == 0xFF or header != RECORD_HEADER or type_len != 0 or size + 3 != length:
        raise TagError("not a keycard record")
    if not 0 < size <= MAX_CARD:
        raise TagError("card size out of range")
    end = i + 5 + size
    if end > len(memory):
        raise TagError("record longer than the memory read")
    return bytes(memory[i + 5:end])


def is_ntag(sens_res, sel_res):
    """ISO 14443-A answer of the NTAG21x / Ultralight family: ATQA 0x0044, SAK 0x00."""
    return sens_res == 0x0044 and sel_res & 0x64 == 0
