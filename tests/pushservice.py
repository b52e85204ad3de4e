"""A push service on 127.0.0.1 for tests: it holds a subscription's private keys, so it
decrypts what the server sends (RFC 8291, aes128gcm) and checks the VAPID signature
(RFC 8292), as a browser's push service and the browser would."""

import base64
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def vapid_claims(authorization: str) -> dict:
    """Check `vapid t=<jwt>, k=<key>`: the JWT must be signed (ES256) by that key."""
    scheme, _, params = authorization.partition(" ")
    assert scheme == "vapid", authorization
    fields = dict(part.strip().split("=", 1) for part in params.split(","))
    header, claims, signature = fields["t"].split(".")
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(fields["k"]))
    raw = unb64url(signature)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    key.verify(der, f"{header}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))  # raises if forged
    return {**json.loads(unb64url(claims)), "k": fields["k"]}


class PushService:
    def __init__(self):
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.auth_secret = os.urandom(16)
        self.received: list[dict] = []
        self.status = 201
        self.delay = 0.0
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                time.sleep(service.delay)
                if service.status == 201:
                    plain = http_ece.decrypt(
                        body,
                        private_key=service.private_key,
                        auth_secret=service.auth_secret,
                        version="aes128gcm",
                    )
                    service.received.append(
                        {
                            "path": self.path,
                            "payload": json.loads(plain),
                            "headers": {k.lower(): v for k, v in self.headers.items()},
                            "claims": vapid_claims(self.headers["Authorization"]),
                            "ciphertext": body,
                        }
                    )
                self.send_response(service.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def subscription(self, name: str = "device") -> dict:
        """What a browser's PushSubscription.toJSON() gives the page."""
        point = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {
            "endpoint": f"{self.origin}/push/{name}",
            "keys": {"p256dh": b64url(point), "auth": b64url(self.auth_secret)},
        }

    def close(self):
        self.server.shutdown()
        self.server.server_close()
