"""Intake shows a case with the approval's steps (``approval.case_progress``): a stand-in
approval answers that call on the real broker, with what each test sets."""
import pytest
from nameko.rpc import rpc


class ApprovalProgress:
    """Stands in for the approval service's ``case_progress``: None (no process yet) unless
    the test set the case's answer."""

    name = "approval"
    answers = {}

    @rpc
    def case_progress(self, case_no):
        return self.answers.get(case_no)


@pytest.fixture(autouse=True)
def approval_progress(container_factory, service_config):
    """``approval_progress[case_no] = {...}``: what the approval answers for the case."""
    ApprovalProgress.answers = {}
    container_factory(ApprovalProgress, service_config).start()
    return ApprovalProgress.answers

