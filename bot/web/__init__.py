"""The web entry point: the ASGI app that `citybot serve` runs (webhooks, probes, pages).

One module per job: `app` assembles the app and answers webhooks ahead of Starlette, `health`
the probes, `fonts` the web fonts the pages use, `port` the check made before listening.
"""

from bot.web.app import WebApp, create_web_app

__all__ = ["WebApp", "create_web_app"]
