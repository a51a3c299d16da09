"""Code shared by every service and the gateway: configuration, the document-store
connection, metrics, event names, errors that cross RPC, and the working-day calendar."""
