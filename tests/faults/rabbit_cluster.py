"""Three RabbitMQ nodes clustered on this machine, as production runs the broker: each a
``stack.broker.RabbitNode`` of its own on its own loopback address (127.0.0.2, .3, .4: on
Linux all of 127.0.0.0/8 is loopback, no setup needed), as if on three hosts: its AMQP
listener and its Erlang distribution port bound to that address, its node name carrying it
(``cluster2-<port>@127.0.0.3``), data under its own directory. They share one Erlang cookie
and one epmd of their own, on a port of the run's own and listening on the three addresses
(an Erlang node finds the others through the epmd at their address), joined to the first.
RabbitMQ refuses two nodes with one distribution port under one epmd, so each node keeps
ports of its own too.

The platform's queues are quorum queues, replicated on the three nodes: production sets
``default_queue_type = quorum`` on the nodes (RabbitMQ 3.13 and later); Debian's 3.10 has
the same setting per virtual host, so the cluster serves the vhost ``hall`` created with
``--default-queue-type quorum``. Exclusive and auto-delete queues (reply queues) stay classic.

``amqp_uri`` lists the three nodes separated by ``;``, as ``AMQP_URI`` does for a cluster:
the services (kombu) and the gateway (pika) connect to the first node that answers and move
to another when theirs goes.
"""

import os
import secrets
import signal
import time

from stack.broker import RabbitNode
from stack.ports import free_port

VHOST = "hall"
ADDRESSES = ("127.0.0.2", "127.0.0.3", "127.0.0.4")


class RabbitCluster:
    def __init__(self, base_dir, addresses=ADDRESSES):
        cookie, epmd_port = secrets.token_hex(20), free_port()
        self.nodes = [
            RabbitNode(
                base_dir / f"node{i}",
                name=f"cluster{i}",
                host=address,
                epmd_port=epmd_port,
                epmd_address=",".join(addresses),
                cookie=cookie,
            )
            for i, address in enumerate(addresses, start=1)
        ]

    @property
    def amqp_uri(self):
        return ";".join(f"{node.amqp_uri}{VHOST}" for node in self.nodes)

    @property
    def ports(self):
        return {f"{setting} of {node.nodename}": port for node in self.nodes for setting, port in node.ports.items()}

    def ctl(self, *args, node=None):
        result = (node or self.nodes[0])._ctl(*args)
        if result.returncode != 0:
            raise RuntimeError(f"rabbitmqctl {' '.join(args)}: {result.stderr.strip()}")
        return result.stdout

    def start(self):
        for node in self.nodes:
            node.start()
        first = self.nodes[0]
        for node in self.nodes[1:]:
            for args in (("stop_app",), ("join_cluster", first.nodename), ("start_app",)):
                self.ctl(*args, node=node)
        self.ctl("add_vhost", VHOST, "--default-queue-type", "quorum")
        self.ctl("set_permissions", "-p", VHOST, "guest", ".*", ".*", ".*")
        return self

    def stop(self):
        """The first node last: its stop ends the shared epmd, through which the others are found."""
        for node in reversed(self.nodes):
            node._epmd_started = node is self.nodes[0]
            node.stop()

    def vm_pid(self, node):
        return int((node.base_dir / "rabbit.pid").read_text())

    def running_nodes(self, asking):
        """The nodes the cluster says are running, asked of ``asking``."""
        listed = self.ctl("eval", "rabbit_nodes:all_running().", node=asking)
        return {node.nodename for node in self.nodes if node.nodename in listed}

    def queues(self, asking):
        """``{name: {"type", "durable", "auto_delete", "exclusive", "leader", "members"}}`` of
        the platform's vhost."""
        columns = ("name", "type", "durable", "auto_delete", "exclusive", "leader", "members")
        found = {}
        for row in self.ctl(
            "list_queues", "-p", VHOST, *columns, "--quiet", "--no-table-headers", node=asking
        ).splitlines():
            values = dict(zip(columns, row.split("\t")))
            found[values.pop("name")] = values
        return found

    def connections(self, asking):
        """How many client connections each node holds."""
        pids = self.ctl("list_connections", "pid", "--quiet", "--no-table-headers", node=asking).split()
        return {node.nodename: sum(f"<{node.nodename}." in pid for pid in pids) for node in self.nodes}

    def cut_off(self, node):
        """The node's VM killed with SIGKILL: no goodbye to its clients or to its peers."""
        pid = self.vm_pid(node)
        os.kill(pid, signal.SIGKILL)
        node.process.wait(timeout=30)
        deadline = time.monotonic() + 10
        while os.path.exists(f"/proc/{pid}") and time.monotonic() < deadline:
            time.sleep(0.1)
