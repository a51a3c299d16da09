"""Three RabbitMQ nodes clustered on this machine, as production runs the broker: each a
``stack.broker.RabbitNode`` of its own (node name, AMQP and distribution ports, data under
its own directory, all on 127.0.0.1), sharing one Erlang cookie and one epmd of their own
(an Erlang node finds the others through the epmd on its port), joined to the first.

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


class RabbitCluster:
    def __init__(self, base_dir, size=3):
        cookie, epmd_port = secrets.token_hex(20), free_port()
        self.nodes = [RabbitNode(base_dir / f"node{i}", name=f"cluster{i}", epmd_port=epmd_port, cookie=cookie)
                      for i in range(1, size + 1)]

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
        for node in reversed(self.nodes):
            node.stop()

    def running_nodes(self, asking):
        """The nodes the cluster says are running, asked of ``asking``."""
        listed = self.ctl("eval", "rabbit_nodes:all_running().", node=asking)
        return {node.nodename for node in self.nodes if node.nodename in listed}

    def queues(self, asking):
        """``{name: {"type", "durable", "auto_delete", "exclusive", "leader", "members"}}`` of
        the platform's vhost."""
        columns = ("name", "type", "durable", "auto_delete", "exclusive", "leader", "members")
        found = {}
        for row in self.ctl("list_queues", "-p", VHOST, *columns, "--quiet", "--no-table-headers",
                            node=asking).splitlines():
            values = dict(zip(columns, row.split("\t")))
            found[values.pop("name")] = values
        return found

    def connections(self, asking):
        """How many client connections each node holds."""
        pids = self.ctl("list_connections", "pid", "--quiet", "--no-table-headers", node=asking).split()
        return {node.nodename: sum(f"<{node.nodename}." in pid for pid in pids) for node in self.nodes}

    def cut_off(self, node):
        """The node's VM killed with SIGKILL: no goodbye to its clients or to its peers."""
        pid = int((node.base_dir / "rabbit.pid").read_text())
        os.kill(pid, signal.SIGKILL)
        node.process.wait(timeout=30)
        deadline = time.monotonic() + 10
        while os.path.exists(f"/proc/{pid}") and time.monotonic() < deadline:
            time.sleep(0.1)
