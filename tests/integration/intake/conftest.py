"""Intake asks the approval service for a case's steps (``case_progress``) and for the
deployed versions of a process an item binds (``list_process_versions``): a stand-in approval
answers both on the real broker."""

import pytest
from nameko.rpc import rpc

from services.common.errors import NotFound


class ApprovalProgress:
    """Stands in for the approval service: ``case_progress`` is None (no process yet) unless
    the test set the case's answer; ``promised_item`` is deployed in versions 1 and 2."""

    name = "approval"
    answers = {}

    @rpc
    def case_progress(self, case_no):
        return self.answers.get(case_no)

    @rpc
    def list_process_versions(self, key):
        if key != "promised_item":
            raise NotFound(f"process {key!r} is not deployed")
        return [{"key": key, "version": 1}, {"key": key, "version": 2}]


@pytest.fixture(autouse=True)
def approval_progress(container_factory, service_config):
    """``approval_progress[case_no] = {...}``: what the approval answers for the case."""
    ApprovalProgress.answers = {}
    container_factory(ApprovalProgress, service_config).start()
    return ApprovalProgress.answers
