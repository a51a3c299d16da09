"""Code shared by every service and the gateway: configuration, the document-store
connection, metrics, event names, errors that cross RPC, and the working-day calendar."""

# The platform's services, in the order they are started.
SERVICES = ("intake", "approval", "queue", "payment", "monitor")
