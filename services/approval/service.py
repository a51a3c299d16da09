"""The approval service: runs every item's BPMN process with SpiffWorkflow."""
from nameko.events import EventDispatcher, event_handler

from services.approval.definitions import DefinitionRegistry
from services.approval.instances import InstanceRepository
from services.common import events, platform_service
from services.common.db import ServiceStore
from services.common.entrypoints import rpc
from services.common.time import utcnow


def open_processes(config):
    """The instance repository, with ``bpmn/`` deployed (identical content is no new version)."""
    definitions = DefinitionRegistry()
    definitions.deploy_directory(config["BPMN_DIR"], utcnow())
    return InstanceRepository(definitions)


class ApprovalService(platform_service.PlatformService):
    name = "approval"

    processes = ServiceStore(open_processes)
    dispatch = EventDispatcher()

    @rpc
    def deploy_process(self, xml, filename="diagram.bpmn"):
        definition, created = self.processes.definitions.deploy(xml, filename, utcnow())
        return dict(definition, created=created)

    @rpc
    def list_processes(self):
        return self.processes.definitions.list()

    @rpc
    def list_tasks(self, user):
        return self.processes.tasks_for(user)

    @rpc
    def get_task(self, task_id, user):
        return self.processes.get_task(task_id, user)

    @rpc
    def complete_task(self, task_id, data, user):
        task, progress = self.processes.complete(task_id, data, user, utcnow())
        self.dispatch(events.CASE_PROGRESSED[1], progress)
        return dict(task, completed=True, case_status=progress["status"], current_step=progress["current_step"])

    @event_handler(*events.CASE_SUBMITTED)
    def on_case_submitted(self, case):
        progress = self.processes.start_for_case(case, utcnow())
        if progress is not None:
            self.dispatch(events.CASE_PROGRESSED[1], progress)
