from __future__ import annotations

import json

import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from cloud.core.delivery import DeliveryError
from cloud.notify.delivery import OutboundMessage
from cloud.notify.telegram import TelegramSender

TOKEN = "123456:ABC-def_ghi"
MESSAGE = OutboundMessage(id="01M", channel="telegram", recipient="-100200300",
                          text="<b>Room 204</b> vacated")


def _sender(server: HTTPServer, timeout: float = 5.0) -> TelegramSender:
    client = httpx.Client(timeout=timeout)
    return TelegramSender(client, token=TOKEN, base_url=server.url_for("/"))


def test_send_message_posts_chat_text_and_parse_mode_to_the_bot_path(
    httpserver: HTTPServer,
) -> None:
    def handler(request: Request) -> Response:
        assert request.headers["Content-Type"] == "application/json"
        body = request.get_json()
        assert body["chat_id"] == "-100200300"
        assert body["text"] == "<b>Room 204</b> vacated"
        assert body["parse_mode"] == "HTML"
        result = {"ok": True, "result": {"message_id": 77, "chat": {"id": -100200300}}}
        return Response(json.dumps(result), content_type="application/json")

    httpserver.expect_request(f"/bot{TOKEN}/sendMessage", method="POST").respond_with_handler(
        handler)
    assert _sender(httpserver).send(MESSAGE) == "77"
    httpserver.check_assertions()


def test_too_many_requests_is_retryable_with_retry_after(httpserver: HTTPServer) -> None:
    httpserver.expect_request(f"/bot{TOKEN}/sendMessage").respond_with_json(
        {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 17",
         "parameters": {"retry_after": 17}}, status=429)
    with pytest.raises(DeliveryError) as caught:
        _sender(httpserver).send(MESSAGE)
    assert (caught.value.permanent, caught.value.retry_after) == (False, 17.0)


@pytest.mark.parametrize(("status", "permanent"), [(400, True), (403, True), (502, False)])
def test_http_errors_map_to_permanent_or_retryable(
    httpserver: HTTPServer, status: int, permanent: bool
) -> None:
    httpserver.expect_request(f"/bot{TOKEN}/sendMessage").respond_with_json(
        {"ok": False, "error_code": status, "description": "Bad Request: chat not found"},
        status=status)
    with pytest.raises(DeliveryError) as caught:
        _sender(httpserver).send(MESSAGE)
    assert caught.value.permanent is permanent


def test_a_timeout_is_retryable(httpserver: HTTPServer) -> None:
    import time

    def slow(_: Request) -> Response:
        time.sleep(0.5)
        return Response("{}", content_type="application/json")

    httpserver.expect_request(f"/bot{TOKEN}/sendMessage").respond_with_handler(slow)
    with pytest.raises(DeliveryError) as caught:
        _sender(httpserver, timeout=0.1).send(MESSAGE)
    assert caught.value.permanent is False
