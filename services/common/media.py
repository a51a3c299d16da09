"""The kinds of file the hall accepts as materials, recognised by their first bytes (a
declared content type alone proves nothing). No store access: the gateway checks uploads
with the same table before they travel, the intake service checks them again."""

ACCEPTED_TYPES = {
    "application/pdf": (b"%PDF-",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
}


def sniff(content):
    """The accepted media type ``content`` starts like, or None."""
    for media_type, signatures in ACCEPTED_TYPES.items():
        if any(content.startswith(signature) for signature in signatures):
            return media_type
    return None
