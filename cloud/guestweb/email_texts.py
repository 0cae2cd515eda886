# ruff: noqa: RUF001  (full-width punctuation is correct Chinese typography)
"""The guest emails' default texts in English, Spanish and Simplified Chinese, and the rules for
a hotel's own version: only the listed ``{placeholders}``, nothing else, checked before it is kept."""

from __future__ import annotations

import string
from dataclasses import dataclass

LANGUAGES = ("en", "es", "zh")
TEMPLATES = ("booking_confirmed", "pre_arrival", "stay_invoice", "booking_cancelled", "payment_link",
             "payment_received")
PLACEHOLDERS: dict[str, frozenset[str]] = {
    "booking_confirmed": frozenset({"name", "hotel", "arrival", "departure", "paid", "total", "link",
                                    "precheckin"}),
    "pre_arrival": frozenset({"name", "hotel", "arrival", "checkin_from", "precheckin"}),
    "stay_invoice": frozenset({"name", "hotel", "number", "total", "paid", "link"}),
    "booking_cancelled": frozenset({"name", "hotel", "arrival", "departure", "fee"}),
    "payment_link": frozenset({"name", "hotel", "amount", "link"}),
    "payment_received": frozenset({"name", "hotel", "paid", "link"}),
}

DEFAULTS: dict[str, dict[str, tuple[str, str]]] = {
    "booking_confirmed": {
        "en": ("Your booking at {hotel} is confirmed",
               "Hello {name},\n\nyour stay at {hotel} from {arrival} to {departure} is confirmed.\n"
               "Paid now: {paid} (total of the stay: {total}). The receipt is attached.\n\n"
               "Your booking: {link}\nCheck in online before you arrive: {precheckin}\n"),
        "es": ("Su reserva en {hotel} está confirmada",
               "Hola {name}:\n\nsu estancia en {hotel} del {arrival} al {departure} está confirmada.\n"
               "Pagado ahora: {paid} (total de la estancia: {total}). Adjuntamos el recibo.\n\n"
               "Su reserva: {link}\nHaga el registro en línea antes de llegar: {precheckin}\n"),
        "zh": ("您在{hotel}的预订已确认",
               "{name}您好：\n\n您在{hotel}的入住（{arrival}至{departure}）已确认。\n"
               "本次已付：{paid}（房费合计：{total}）。收据见附件。\n\n"
               "您的预订：{link}\n抵达前在线登记：{precheckin}\n"),
    },
    "pre_arrival": {
        "en": ("See you soon at {hotel}",
               "Hello {name},\n\nwe expect you on {arrival} from {checkin_from}.\n"
               "Save time at the desk: check in online now: {precheckin}\n"),
        "es": ("Le esperamos pronto en {hotel}",
               "Hola {name}:\n\nle esperamos el {arrival} a partir de las {checkin_from}.\n"
               "Ahorre tiempo en recepción: haga el registro en línea: {precheckin}\n"),
        "zh": ("期待您光临{hotel}",
               "{name}您好：\n\n我们期待您于{arrival} {checkin_from}起入住。\n"
               "节省前台时间，立即在线登记：{precheckin}\n"),
    },
    "stay_invoice": {
        "en": ("Your invoice {number} from {hotel}",
               "Hello {name},\n\nthank you for staying at {hotel}. Your invoice {number} is attached.\n"
               "Total: {total}. Paid: {paid}.\n\nYour stay: {link}\n"),
        "es": ("Su factura {number} de {hotel}",
               "Hola {name}:\n\ngracias por alojarse en {hotel}. Adjuntamos su factura {number}.\n"
               "Total: {total}. Pagado: {paid}.\n\nSu estancia: {link}\n"),
        "zh": ("{hotel}的发票{number}",
               "{name}您好：\n\n感谢您入住{hotel}。您的发票{number}见附件。\n"
               "合计：{total}。已付：{paid}。\n\n您的入住：{link}\n"),
    },
    "booking_cancelled": {
        "en": ("Your booking at {hotel} is cancelled",
               "Hello {name},\n\nyour booking at {hotel} from {arrival} to {departure} is cancelled.\n"
               "Cancellation fee: {fee}.\n"),
        "es": ("Su reserva en {hotel} está cancelada",
               "Hola {name}:\n\nsu reserva en {hotel} del {arrival} al {departure} está cancelada.\n"
               "Gastos de cancelación: {fee}.\n"),
        "zh": ("您在{hotel}的预订已取消",
               "{name}您好：\n\n您在{hotel}的预订（{arrival}至{departure}）已取消。\n取消费用：{fee}。\n"),
    },
    "payment_link": {
        "en": ("Your payment to {hotel}", "Hello {name},\n\nplease pay {amount} for your stay at {hotel} "
               "online (card, Alipay or WeChat Pay): {link}\n"),
        "es": ("Su pago a {hotel}", "Hola {name}:\n\npuede pagar en línea {amount} de su estancia en {hotel} "
               "(tarjeta, Alipay o WeChat Pay): {link}\n"),
        "zh": ("向{hotel}付款", "{name}您好：\n\n请在线支付您在{hotel}的入住费用{amount}"
               "（银行卡、支付宝或微信支付）：{link}\n"),
    },
    "payment_received": {
        "en": ("Your payment to {hotel}: receipt", "Hello {name},\n\nwe received {paid} for your stay at "
               "{hotel}. The receipt is attached.\n\nYour booking: {link}\n"),
        "es": ("Su pago a {hotel}: recibo", "Hola {name}:\n\nhemos recibido {paid} de su estancia en "
               "{hotel}. Adjuntamos el recibo.\n\nSu reserva: {link}\n"),
        "zh": ("您向{hotel}的付款收据", "{name}您好：\n\n我们已收到您在{hotel}的入住费用{paid}。"
               "收据见附件。\n\n您的预订：{link}\n"),
    },
}


class TemplateRefused(ValueError):
    """A hotel's text that names something it may not (``placeholder``), or cannot be read as a template."""

    def __init__(self, message: str, *, placeholder: str | None = None) -> None:
        super().__init__(message)
        self.placeholder = placeholder


@dataclass(frozen=True, slots=True)
class EmailText:
    subject: str
    body: str


def check(template: str, text: str) -> None:
    """Refuse a text with placeholders outside the template's list, or with format tricks."""
    allowed = PLACEHOLDERS[template]
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise TemplateRefused(f"not a valid template: {exc}") from None
    for _literal, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in allowed or spec or conversion:
            raise TemplateRefused(f"{{{name}}} is not one of {', '.join(sorted(allowed))}",
                                  placeholder=name[:40])


def render(text: EmailText, values: dict[str, str], template: str) -> EmailText:
    """The text with the values put in (a hotel's text is checked again; no value is re-read)."""
    check(template, text.subject)
    check(template, text.body)
    return EmailText(text.subject.format_map(values).replace("\n", " "), text.body.format_map(values))
