"""The client's address when a reverse proxy stands between it and gunicorn."""

import ipaddress

from django.conf import settings


class ForwardedForMiddleware:
    """Set REMOTE_ADDR to the client address the trusted proxies appended to X-Forwarded-For.

    Behind a proxy every request comes from the proxy's address, so the per-client rate limits
    and log-in lock-outs (keyed on REMOTE_ADDR) would hold every client in one bucket. Each of
    the TRUSTED_PROXY_COUNT proxies appends the address it received the request from; the
    entry that many places from the right is the client as the outermost proxy saw it, and
    anything to its left was written by the client itself and is not trusted. With no proxy
    (the count is 0) the header is ignored, so a client cannot choose its own address.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.count = settings.TRUSTED_PROXY_COUNT

    def __call__(self, request):
        if self.count:
            chain = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
            if len(chain) >= self.count:
                try:
                    request.META["REMOTE_ADDR"] = str(ipaddress.ip_address(chain[-self.count]))
                except ValueError:
                    pass  # not an address: keep the proxy's, which is at least not chosen
        return self.get_response(request)
