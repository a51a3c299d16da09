"""The contracts between the parts, one typed definition each: the events the services
publish (``events``) and the RPC methods the gateway calls (``rpc``). Producers build
through them, consumers parse through them, and ``tests/unit/common/test_contracts.py``
fails when the two disagree or a call site goes around them."""
