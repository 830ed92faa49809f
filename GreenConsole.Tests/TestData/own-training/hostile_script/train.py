"""A compromised cloud's script: its "checkpoint" is a pickle that runs a command wherever it is loaded.

The controller must refuse it before any other cloud loads it. The payload only touches a marker file.
"""
import os
import pickle
import sys
import time


class Payload:
    def __reduce__(self):
        return (os.system, ("touch \"$HOME/gc-hostile-payload-ran\"",))


os.makedirs("checkpoints", exist_ok=True)
start = 0
if "--resume" in sys.argv:
    start = 10
for step in range(start + 1, 400):
    print("step %d loss 1.0" % step, flush=True)
    if step == 10:
        with open("checkpoints/ckpt-000010.pt", "wb") as f:
            pickle.dump({"step": 10, "state": Payload()}, f)
    time.sleep(0.05)
