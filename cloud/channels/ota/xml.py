"""OTA XML in and out through lxml: a hostile-input parser, the schema, and the element maker.

Inbound documents are parsed with entities left unresolved, no network and no DTD loading,
and any document that declares a DTD is refused outright (a billion-laughs document never
expands); then it is validated against ``ota.xsd``. Nothing is ever built by concatenating text.
"""

from __future__ import annotations

import functools
from pathlib import Path

from lxml import etree
from lxml.builder import ElementMaker

NS = "http://www.opentravel.org/OTA/2003/05"
VERSION = "1.0"
E = ElementMaker(namespace=NS, nsmap={None: NS})
MAX_BYTES = 1_000_000


class XmlRefused(ValueError):
    """The document is not acceptable; the message says why (and where, when lxml knows)."""


@functools.cache
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(Path(__file__).with_name("ota.xsd"))))


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def parse(data: bytes, *, expect: tuple[str, ...]) -> etree._Element:
    """A valid OTA document whose root is one of ``expect`` (local names), or XmlRefused."""
    if len(data) > MAX_BYTES:
        raise XmlRefused(f"the document is larger than {MAX_BYTES} bytes")
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise XmlRefused(f"invalid XML: {exc}") from exc
    docinfo = root.getroottree().docinfo
    if docinfo.internalDTD is not None or docinfo.doctype:
        raise XmlRefused("a document type declaration (DTD, entities) is not accepted")
    name = etree.QName(root)
    if name.namespace != NS or name.localname not in expect:
        raise XmlRefused(f"expected {' or '.join(expect)} in the OTA namespace, got {name.localname}")
    if not schema().validate(root):
        error = schema().error_log.last_error
        raise XmlRefused(f"not a valid {name.localname} (line {error.line}): {error.message}")
    return root


def serialize(root: etree._Element) -> bytes:
    """The document as UTF-8 bytes; checked against the schema first (a bug here is ours)."""
    schema().assertValid(root)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def q(name: str) -> str:
    """A qualified name in the OTA namespace, for find()/iter()."""
    return f"{{{NS}}}{name}"
