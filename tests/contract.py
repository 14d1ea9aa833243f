"""The contract every channel passes, against its real server or simulator.

A channel's test module subclasses ``ChannelContract`` and provides a
``backend`` fixture (see ``ContractBackend``). The tests drive the real sync
and outbox services into a real queue file, so what is checked is what a user
gets: one item per conversation, no duplicates, replies that land once. Every
write is checked *at the source*, through the backend's readers of remote
state, so a channel whose ``close`` or ``send_reply`` does nothing fails.

The suite is split by subject: ``contract_sync`` (reading), ``contract_writes``
(writes, by capability), ``contract_posts`` (posts outside any item, by
capability) and ``contract_faults`` (revoked credentials, unreachable servers,
conversations deleted upstream).
"""

from __future__ import annotations

from tests.contract_faults import FaultContract
from tests.contract_harness import ContractBackend, Harness
from tests.contract_posts import PostContract
from tests.contract_sync import SyncContract
from tests.contract_writes import WriteContract

__all__ = ["ChannelContract", "ContractBackend", "Harness"]


class ChannelContract(SyncContract, WriteContract, PostContract, FaultContract):
    """Subclass with a ``backend`` fixture returning a ``ContractBackend``."""
