from __future__ import annotations

import json

import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from cloud.core.delivery import DeliveryError
from cloud.notify.delivery import OutboundMessage
from cloud.notify.whatsapp import WhatsAppSender

TOKEN = "EAAG-test-token"
PHONE_ID = "106540352242922"
PNG = b"\x89PNG\r\n\x1a\nfake-but-bytes"


def _sender(server: HTTPServer) -> WhatsAppSender:
    return WhatsAppSender(httpx.Client(timeout=5), token=TOKEN, phone_number_id=PHONE_ID,
                          base_url=server.url_for("/"), version="v21.0")


def _message(*, window: bool) -> OutboundMessage:
    return OutboundMessage(id="01M", channel="whatsapp", recipient="5215512345678",
                           text="Hola Ana, su reserva R-1 está confirmada", language="es",
                           image_png=PNG, template="booking_confirmation",
                           template_params=["Ana", "R-1"], in_session_window=window)


def _expect_upload(server: HTTPServer) -> None:
    def upload(request: Request) -> Response:
        assert request.headers["Authorization"] == f"Bearer {TOKEN}"
        assert request.mimetype == "multipart/form-data"
        assert request.form["messaging_product"] == "whatsapp"
        assert request.form["type"] == "image/png"
        assert request.files["file"].read() == PNG
        assert request.files["file"].mimetype == "image/png"
        return Response(json.dumps({"id": "media-42"}), content_type="application/json")

    server.expect_ordered_request(f"/v21.0/{PHONE_ID}/media", method="POST").respond_with_handler(
        upload)


def _expect_message(server: HTTPServer, check: object) -> None:
    def handler(request: Request) -> Response:
        assert request.headers["Authorization"] == f"Bearer {TOKEN}"
        body = request.get_json()
        assert body["messaging_product"] == "whatsapp"
        assert body["to"] == "5215512345678"
        check(body)  # type: ignore[operator]
        answer = {"messaging_product": "whatsapp", "contacts": [{"wa_id": body["to"]}],
                  "messages": [{"id": "wamid.HBgN"}]}
        return Response(json.dumps(answer), content_type="application/json")

    server.expect_ordered_request(f"/v21.0/{PHONE_ID}/messages", method="POST"
                                  ).respond_with_handler(handler)


def test_inside_the_window_the_qr_goes_as_an_image_with_caption(httpserver: HTTPServer) -> None:
    def check(body: dict[str, object]) -> None:
        assert body["type"] == "image"
        assert body["image"] == {"id": "media-42",
                                 "caption": "Hola Ana, su reserva R-1 está confirmada"}

    _expect_upload(httpserver)
    _expect_message(httpserver, check)
    assert _sender(httpserver).send(_message(window=True)) == "wamid.HBgN"
    httpserver.check_assertions()


def test_outside_the_window_a_template_carries_image_header_and_values(
    httpserver: HTTPServer,
) -> None:
    def check(body: dict[str, object]) -> None:
        assert body["type"] == "template"
        template = body["template"]
        assert template == {
            "name": "booking_confirmation", "language": {"code": "es"},
            "components": [
                {"type": "header", "parameters": [{"type": "image", "image": {"id": "media-42"}}]},
                {"type": "body", "parameters": [{"type": "text", "text": "Ana"},
                                                {"type": "text", "text": "R-1"}]},
            ]}

    _expect_upload(httpserver)
    _expect_message(httpserver, check)
    _sender(httpserver).send(_message(window=False))
    httpserver.check_assertions()


@pytest.mark.parametrize(("status", "code", "permanent"), [
    (400, 131026, True),     # message undeliverable
    (401, 190, True),        # token expired
    (400, 130429, False),    # throughput rate limit, on a 400
    (429, 80007, False),
    (500, 1, False),
])
def test_graph_errors_map_by_code_and_status(
    httpserver: HTTPServer, status: int, code: int, permanent: bool
) -> None:
    httpserver.expect_request(f"/v21.0/{PHONE_ID}/media").respond_with_json(
        {"error": {"message": "x", "type": "OAuthException", "code": code,
                   "fbtrace_id": "A"}}, status=status)
    with pytest.raises(DeliveryError) as caught:
        _sender(httpserver).send(_message(window=True))
    assert caught.value.permanent is permanent


def test_a_phone_number_id_must_be_numeric() -> None:
    with pytest.raises(ValueError):
        WhatsAppSender(httpx.Client(), token=TOKEN, phone_number_id="../me")


def test_a_message_without_image_inside_the_window_is_plain_text(httpserver: HTTPServer) -> None:
    def check(body: dict[str, object]) -> None:
        assert body["type"] == "text"
        assert body["text"] == {"body": "Checkout at 12:00", "preview_url": False}

    _expect_message(httpserver, check)
    message = OutboundMessage(id="01T", channel="whatsapp", recipient="5215512345678",
                              text="Checkout at 12:00", in_session_window=True,
                              template="checkout_reminder")
    assert _sender(httpserver).send(message) == "wamid.HBgN"
    httpserver.check_assertions()
