"""The RPC entrypoint every service uses: nameko's ``rpc`` with the platform's errors
marked as expected, so a rule broken by a caller is answered, not logged as a crash."""

from nameko.rpc import rpc as nameko_rpc

from .errors import HallError

rpc = nameko_rpc(expected_exceptions=HallError)
