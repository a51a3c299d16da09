"""The OpenAPI fragments of the gateway's domains, one module per domain, named as it, out of the
handlers' way; ``gateway.openapi`` assembles them into the document."""
