"""Workflows kept alive between actions, so an action need not rebuild what the last one saved.

Rebuilding a workflow from its saved state costs more than the step it is loaded for. An entry
here remembers, for one instance, the exact bytes that were saved and the workflow they were
saved from. A load that reads those same bytes (and the same spec) from the database takes the
workflow instead of decoding them: the entry is a memo of decoding, keyed by what was read, so a
row changed by another process, a rolled-back save or a cleared spec cache simply misses.

An entry is taken, not shared: the action that takes a workflow owns it until it saves and puts
it back, so two actions never step one workflow object.
"""

import threading
from collections import OrderedDict

DEFAULT_SIZE = 1024


class LiveWorkflows:
    def __init__(self, size: int = DEFAULT_SIZE, verify=None):
        self.size = size
        self._entries: OrderedDict[int, tuple] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0
        # A check run on every hit (tests: the workflow must encode to exactly the stored bytes).
        self.verify = verify

    def take(self, instance_id: int, spec, state: bytes):
        """The workflow last saved as `state` on `spec`, removed from the cache; None if not here."""
        with self._lock:
            entry = self._entries.pop(instance_id, None)
        if entry is None or entry[0] is not spec or entry[1] != state:
            self.misses += 1
            return None
        self.hits += 1
        if self.verify is not None:
            self.verify(entry[2], state)
        return entry[2]

    def put(self, instance_id: int, spec, state: bytes, workflow) -> None:
        """Remember that `workflow` is what `state` decodes to."""
        if self.size <= 0:
            return
        with self._lock:
            self._entries[instance_id] = (spec, state, workflow)
            self._entries.move_to_end(instance_id)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def __contains__(self, instance_id: int) -> bool:
        return instance_id in self._entries
