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
try:
    Client("http://127.0.0.1:9", token=submitter, timeout=3).jobs()
    raise AssertionError("an unreachable coordinator must raise")
except ConnectionError as error:
    print("ok unreachable:", error)
print("all client checks passed")
