"""Starting the API: the token, the loopback rule, uvicorn (docs/memberships.md)."""

from __future__ import annotations

import ipaddress
import os

import uvicorn

from duckseg.config import Config
from duckseg.errors import InputError
from duckseg.serve.app import Source, create_app

TOKEN_ENV = "DUCKSEG_TOKEN"


def token_for(config: Config) -> str | None:
    """DUCKSEG_TOKEN if set, else `[serve] token` from duckseg.toml, else none."""
    return os.environ.get(TOKEN_ENV) or config.serve.token or None


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(ws: Source, config: Config, host: str = "127.0.0.1", port: int = 8765) -> None:
    token = token_for(config)
    if token is None and not is_loopback(host):
        raise InputError.single(
            "--host",
            f"refusing to serve on {host} without a token",
            hint=f"set [serve] token in duckseg.toml or {TOKEN_ENV}, or bind 127.0.0.1",
        )
    if not 0 < port < 65536:
        raise InputError.single("--port", f"not a port: {port}")
    app = create_app(ws, token, traits_max_age_s=config.serve.max_age_s())
    app.state.lookup.refresh()  # the contact lookup is in memory before the first request
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
