"""Error paths of clients/python against a running coordinator.

Usage: client_checks.py CLIENT_DIR BASE_URL SUBMITTER_TOKEN VIEWER_TOKEN JOB_ID
"""
import sys

sys.path.insert(0, sys.argv[1])
from stylefarm_client import Client, StyleFarmError  # noqa: E402

base, submitter, viewer, job = sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]


def refused(call, status, code):
    try:
        call()
    except StyleFarmError as error:
        assert (error.status, error.code) == (status, code), f"{error.status} {error.code}: {error.message}"
        print("ok", status, code, "-", error.message)
        return
    raise AssertionError(f"expected {status} {code}")


refused(lambda: Client(base, token=submitter).submit({"name": "rel", "kind": "echo", "frames": "1-2", "output_dir": "out"}),
        400, "invalid_argument")
refused(lambda: Client(base, token=viewer).cancel(job), 403, "permission_denied")
refused(lambda: Client(base, token="sft_forged").jobs(), 401, "unauthenticated")
refused(lambda: Client(base, token=submitter).status("job-none"), 404, "not_found")
assert Client(base, token=viewer).whoami() == {"name": "monitor", "role": "viewer"}
assert [j["id"] for j in Client(base, token=viewer).jobs(states=["completed"])] == [job]
assert Client(base, token=viewer).workers()[0]["state"] == "alive"
# Uploads (a farm without shared storage): only what the coordinator lacks travels, and the checkout holds it.
import hashlib  # noqa: E402
import os  # noqa: E402
import tempfile  # noqa: E402
with tempfile.TemporaryDirectory() as folder:
    local = os.path.join(folder, "plate.png")
    with open(local, "wb") as handle:
        handle.write(os.urandom(3 << 20) + b"end")
    root = Client(base, token=submitter).upload({"plates/a.png": local, "plates/b.png": local})
    assert root.startswith("/"), root
    name = hashlib.sha256(open(local, "rb").read()).hexdigest()
    assert Client(base, token=submitter)._request("POST", "/api/v1/uploads/missing", {"sha256": [name]})["missing"] == []
    print("ok upload into", root)
    refused(lambda: Client(base, token=viewer).upload({"x.png": local}), 403, "permission_denied")
frame = Client(base, token=viewer).frame(job, 1001)
assert frame["state"] == "done" and frame["tasks"][0]["attempts"][0]["outcome"] == "succeeded", frame
print("ok frame detail:", frame["tasks"][0]["id"], frame["tasks"][0]["attempts"][0]["wall_seconds"], "s")
sheet = Client(base, token=viewer).contact_sheet(job)
assert sheet[:8] == b"\x89PNG\r\n\x1a\n", sheet[:16]
print("ok contact sheet:", len(sheet), "bytes")
try:
    Client("http://127.0.0.1:9", token=submitter, timeout=3).jobs()
    raise AssertionError("an unreachable coordinator must raise")
except ConnectionError as error:
    print("ok unreachable:", error)
print("all client checks passed")
