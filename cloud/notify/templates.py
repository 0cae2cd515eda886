# ruff: noqa: RUF001  (full-width punctuation is correct Chinese typography)
"""Message texts in English, Spanish and Simplified Chinese.

Guest texts are plain (WhatsApp); staff texts are Telegram HTML, so every value put into them
is escaped. ``params`` order is the order of the WhatsApp template's body variables.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

LANGUAGES = ("en", "es", "zh")

TEXTS: dict[str, dict[str, str]] = {
    "booking_confirmation": {
        "en": "Hello {name}, your booking {booking} at {hotel} is confirmed: {arrival} to "
              "{departure}. Amount due: {amount}. Pay by scanning the QR code with your "
              "banking app, or at the front desk.",
        "es": "Hola {name}, su reserva {booking} en {hotel} está confirmada: del {arrival} al "
              "{departure}. Importe pendiente: {amount}. Pague escaneando el código QR con su "
              "app bancaria, o en recepción.",
        "zh": "{name}您好，您在{hotel}的预订{booking}已确认：{arrival}至{departure}。"
              "待付金额：{amount}。请用银行应用扫描二维码付款，或在前台付款。",
    },
    "checkout_reminder": {
        "en": "Hello {name}, checkout is at {checkout} today. Balance: {amount}. "
              "Leave your key card at the front desk. Thank you for staying with us!",
        "es": "Hola {name}, la salida es hoy a las {checkout}. Saldo: {amount}. "
              "Deje su tarjeta en recepción. ¡Gracias por su estancia!",
        "zh": "{name}您好，今天的退房时间是{checkout}。余额：{amount}。"
              "请将房卡交还前台。感谢您的入住！",
    },
    "payment_reminder": {
        "en": "Hello {name}, booking {booking} has a pending balance of {amount}. "
              "Scan the QR code to pay.",
        "es": "Hola {name}, la reserva {booking} tiene un saldo pendiente de {amount}. "
              "Escanee el código QR para pagar.",
        "zh": "{name}您好，预订{booking}尚有{amount}待付款。请扫描二维码付款。",
    },
    "payment_overdue": {
        "en": "<b>Unpaid balance</b>: {name}, booking {booking}, {amount}; "
              "{count} reminders sent since departure. Please follow up.",
        "es": "<b>Saldo impagado</b>: {name}, reserva {booking}, {amount}; "
              "{count} recordatorios enviados desde la salida. Por favor, haga seguimiento.",
        "zh": "<b>未付余额</b>：{name}，预订{booking}，{amount}；"
              "离店后已发送{count}次提醒，请跟进。",
    },
    "room_vacated": {
        "en": "<b>Room {room}</b> (floor {floor}) was vacated at {at}. Ready for cleaning.",
        "es": "<b>Habitación {room}</b> (planta {floor}) quedó libre a las {at}. "
              "Lista para limpiar.",
        "zh": "<b>{room}号房</b>（{floor}层）已于{at}退房，请安排清洁。",
    },
    "staff_unlock": {
        "en": "Sign-ins to your Posada account failed several times, so each new attempt must wait. "
              "If that was you, open this link within 30 minutes to sign in again at once: {link}",
        "es": "Los inicios de sesión en su cuenta de Posada fallaron varias veces, así que cada nuevo "
              "intento debe esperar. Si fue usted, abra este enlace en 30 minutos para volver a "
              "entrar enseguida: {link}",
        "zh": "您的 Posada 账户多次登录失败，因此每次新的尝试都需要等待。如果是您本人，请在 30 分钟内"
              "打开此链接以立即重新登录：{link}",
    },
}

PARAMS: dict[str, tuple[str, ...]] = {
    "booking_confirmation": ("name", "booking", "hotel", "arrival", "departure", "amount"),
    "checkout_reminder": ("name", "checkout", "amount"),
    "payment_reminder": ("name", "booking", "amount"),
    "payment_overdue": ("name", "booking", "amount", "count"),
    "room_vacated": ("room", "floor", "at"),
    "staff_unlock": ("link",),
}
HTML_TEMPLATES = frozenset({"payment_overdue", "room_vacated"})


@dataclass(frozen=True, slots=True)
class Rendered:
    text: str
    params: list[str]
    language: str


def render(template: str, language: str, values: dict[str, str]) -> Rendered:
    """The text in the language asked for (English if we have no such translation)."""
    texts = TEXTS[template]
    lang = language if language in texts else "en"
    missing = [name for name in PARAMS[template] if name not in values]
    if missing:
        raise KeyError(f"{template} needs {', '.join(missing)}")
    safe = {k: html.escape(str(v)) for k, v in values.items()} if (
        template in HTML_TEMPLATES) else {k: str(v) for k, v in values.items()}
    return Rendered(texts[lang].format_map(safe), [safe[p] for p in PARAMS[template]], lang)
