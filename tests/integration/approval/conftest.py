import pytest

from services.approval.service import ApprovalService


@pytest.fixture
def approval(container_factory, service_config, clean_databases):
    """The approval service on the real broker and store, its database emptied first."""
    container = container_factory(ApprovalService, service_config)
    container.start()
    return container
