"""OTA XML in and out through lxml: a hostile-input parser, the schema, and the element maker.

Inbound documents are parsed with entities left unresolved, no network and no DTD loading,
and any document that declares a DTD is refused outright (a billion-laughs document never
expands); then it is validated against ``ota.xsd``. Nothing is ever built by concatenating text.
"""

from __future__ import annotations

import functools
import threading
from copy import deepcopy
from pathlib import Path

from lxml import etree
from lxml.builder import ElementMaker

NS = "http://www.opentravel.org/OTA/2003/05"
VERSION = "1.0"
E = ElementMaker(namespace=NS, nsmap={None: NS})
MAX_BYTES = 1_000_000


class XmlRefused(ValueError):
    """The document is not acceptable; the message says why (and where, when lxml knows)."""


# The schema is built and used by one thread at a time. Its validator keeps one error log for
# every caller, and two threads building it at once (the sender's parallel pushes, its first round
# on a loaded machine) were seen to leave libxml2 unable to build it again in that process: every
# later build failed with "xmlSchemaPValAttrNodeValue, the given type is not a built-in type", so
# the sender sent nothing until restarted.
_SCHEMA_LOCK = threading.Lock()


@functools.cache
def _schema() -> etree.XMLSchema:  # only under _SCHEMA_LOCK
    return etree.XMLSchema(etree.parse(str(Path(__file__).with_name("ota.xsd"))))


def invalid(root: etree._Element) -> etree._LogEntry | None:
    """The schema's complaint about ``root`` (None: it is valid)."""
    with _SCHEMA_LOCK:
        checker = _schema()
        return None if checker.validate(root) else checker.error_log.last_error


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


XS = "{http://www.w3.org/2001/XMLSchema}"
Shape = dict[
    tuple[str, ...], tuple[tuple[str, ...], frozenset[str]]
]  # path -> (children in order, attributes)


@functools.cache
def shapes() -> Shape:
    """Every element path the schema declares, with its children (in order) and attributes."""
    tree = etree.parse(str(Path(__file__).with_name("ota.xsd")))
    types = {t.get("name"): t for t in tree.getroot().iter(f"{XS}complexType") if t.get("name")}
    groups = {g.get("name"): g for g in tree.getroot().iter(f"{XS}attributeGroup") if g.get("name")}
    out: Shape = {}

    def content(decl: etree._Element) -> etree._Element | None:
        inline = decl.find(f"{XS}complexType")
        return inline if inline is not None else types.get((decl.get("type") or "").split(":")[-1])

    def walk(path: tuple[str, ...], decl: etree._Element) -> None:
        ctype = content(decl)
        children: list[etree._Element] = []
        attrs: set[str] = set()
        if ctype is not None:
            stack = list(ctype)
            while stack:
                node = stack.pop(0)
                if node.tag == f"{XS}element":
                    children.append(node)
                elif node.tag == f"{XS}attribute":
                    attrs.add(node.get("name", ""))
                elif node.tag == f"{XS}attributeGroup" and node.get("ref"):
                    stack.extend(groups[node.get("ref", "")])
                elif node.tag in (f"{XS}sequence", f"{XS}choice", f"{XS}simpleContent", f"{XS}extension"):
                    stack[:0] = list(node)
        names = tuple(dict.fromkeys(c.get("name", "") for c in children))
        out[path] = (names, frozenset(attrs))
        for child in children:
            walk((*path, child.get("name", "")), child)

    for top in tree.getroot().findall(f"{XS}element"):
        walk((top.get("name", ""),), top)
    return out


def projected(root: etree._Element) -> etree._Element:
    """A copy holding only what the schema declares, children in the schema's order: standard
    elements and attributes we do not read (and a channel's extensions) are set aside, so the
    schema checks strictly what we use. Source lines are kept for the error messages."""
    known = shapes()
    copy = deepcopy(root)

    def prune(el: etree._Element, path: tuple[str, ...]) -> None:
        names, attrs = known[path]
        for name in [a for a in el.attrib if a not in attrs]:
            del el.attrib[name]
        kept = []
        for child in list(el):
            el.remove(child)
            if (
                isinstance(child.tag, str)
                and etree.QName(child).namespace == NS
                and (etree.QName(child).localname in names)
            ):
                kept.append(child)
        kept.sort(key=lambda c: names.index(etree.QName(c).localname))  # stable: repeats keep their order
        if el.text is not None and not el.text.strip():
            el.text = None  # the indentation around children set aside
        for child in kept:
            child.tail = None
            el.append(child)
            prune(child, (*path, etree.QName(child).localname))

    prune(copy, (etree.QName(copy).localname,))
    return copy


def parse(data: bytes, *, expect: tuple[str, ...], strict: bool = False) -> etree._Element:
    """A valid OTA document whose root is one of ``expect`` (local names), or XmlRefused; what is
    answered is the projection (:func:`projected`) that the schema checked. ``strict`` checks the
    document whole instead (the stand-in: what we send must be exactly what we declare)."""
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
    ours = root if strict else projected(root)
    error = invalid(ours)
    if error is not None:
        raise XmlRefused(f"not a valid {name.localname} (line {error.line}): {error.message}")
    return ours


def serialize(root: etree._Element) -> bytes:
    """The document as UTF-8 bytes; checked against the schema first (a bug here is ours)."""
    error = invalid(root)
    if error is not None:
        raise etree.DocumentInvalid(f"{error.message} (line {error.line})")
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def q(name: str) -> str:
    """A qualified name in the OTA namespace, for find()/iter()."""
    return f"{{{NS}}}{name}"
