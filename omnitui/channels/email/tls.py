"""The client TLS context for the mail servers, shared by IMAP and SMTP.

`tls_ca_file` *adds* a CA (a self-hosted server's own certificate) to the system's store:
`ssl.create_default_context(cafile=...)` would load that file instead of the system store, so a
CA set for a self-hosted IMAP server made a relay with a public certificate untrusted.
"""

from __future__ import annotations

import ssl


def client_context(ca_file: str | None) -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    if ca_file:
        ctx.load_verify_locations(cafile=ca_file)
    return ctx
