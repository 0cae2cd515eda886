# ruff: noqa: RUF001  (full-width punctuation is correct Chinese typography)
"""The survey messages in the guest's language, and the manager's low-score alert."""

from __future__ import annotations

INVITES: dict[str, dict[str, tuple[str, str]]] = {
    "post_stay": {
        "en": (
            "How was your stay at {hotel}?",
            "Thank you for staying with us. Two minutes to tell us how it went: {link}",
        ),
        "es": (
            "¿Qué tal su estancia en {hotel}?",
            "Gracias por alojarse con nosotros. Dos minutos para contarnos cómo fue: {link}",
        ),
        "zh": ("您在{hotel}的住宿体验如何？", "感谢您的入住。请花两分钟告诉我们您的感受：{link}"),
    },
    "mid_stay": {
        "en": (
            "Is everything all right at {hotel}?",
            "Tell us now if anything in your room or service could be better: {link}",
        ),
        "es": (
            "¿Va todo bien en {hotel}?",
            "Díganos ahora si algo de su habitación o del servicio puede mejorar: {link}",
        ),
        "zh": ("您在{hotel}一切都好吗？", "如果房间或服务有任何可以改进之处，请现在告诉我们：{link}"),
    },
}
ALERT = (
    "Low guest score at {hotel}",
    "A {kind} survey for reservation {reservation} scored {scores}. In house: {in_house}. "
    "Open the reservation: /reservations/{reservation}",
)


def invite(kind: str, language: str, *, hotel: str, link: str) -> tuple[str, str]:
    subject, body = INVITES[kind].get(language, INVITES[kind]["en"])
    return subject.format(hotel=hotel), body.format(link=link)
