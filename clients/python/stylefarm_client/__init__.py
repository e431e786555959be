"""A small client for a StyleFarm coordinator's HTTP API (docs/HTTP.md, api/openapi.yaml).

Standard library only, so it runs inside Nuke, Houdini, Maya or Blender's own Python without installing
anything: copy this folder next to your script, or `pip install clients/python`.

    from stylefarm_client import Client
    farm = Client("http://farm:8080", token="sft_…")          # or $STYLEFARM_URL and $STYLEFARM_TOKEN
    job = farm.submit({"name": "shot010", "content": "/plates/shot010/shot010.####.exr", ...})
    final = farm.wait(job, on_event=lambda e: print(e["frames_done"], "/", e["frames_total"]))
    print(final["state"], farm.logs(job, frame=1001)["attempts"][-1]["log"])
"""

import hashlib
import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request

__all__ = ["Client", "StyleFarmError", "FINISHED"]
__version__ = "1.0.0"

#: The job states after which nothing more happens (until a requeue).
FINISHED = ("completed", "failed", "cancelled")


class StyleFarmError(Exception):
    """The coordinator refused a request: `status` is the HTTP status, `code` the API's error code
    (invalid_argument, not_found, permission_denied, failed_precondition, unauthenticated, …)."""

    def __init__(self, status, code, message):
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message


class Client:
    """One coordinator. `url` defaults to $STYLEFARM_URL (else http://127.0.0.1:8080), `token` to
    $STYLEFARM_TOKEN (a farm started with --insecure needs none)."""

    def __init__(self, url=None, token=None, timeout=30.0):
        self.url = (url or os.environ.get("STYLEFARM_URL") or "http://127.0.0.1:8080").rstrip("/")
        self.token = token if token is not None else os.environ.get("STYLEFARM_TOKEN")
        self.timeout = timeout

    # -- requests --------------------------------------------------------------------------------

    def _request(self, method, path, body=None, content_type="application/json", timeout=None, length=None):
        """`body`: a dict (sent as JSON), text, or a binary file object sent as it is read (with `length`)."""
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = "Bearer " + self.token
        data = None
        if body is not None:
            if hasattr(body, "read"):
                data = body
                headers["Content-Length"] = str(length)
            else:
                data = body.encode("utf-8") if isinstance(body, str) else json.dumps(body).encode("utf-8")
            headers["Content-Type"] = content_type
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout or self.timeout) as response:
                payload = response.read()
                kind = response.headers.get("Content-Type", "")
        except urllib.error.HTTPError as error:
            raise self._error(error.code, error.read()) from None
        except urllib.error.URLError as error:
            raise ConnectionError(f"cannot reach the coordinator at {self.url}: {error.reason}") from None
        if kind.startswith("application/json"):
            return json.loads(payload)
        return payload if kind.startswith("image/") else payload.decode("utf-8")

    @staticmethod
    def _error(status, payload):
        try:
            error = json.loads(payload)["error"]
            return StyleFarmError(status, error.get("code", ""), error.get("message", ""))
        except (ValueError, KeyError, TypeError):
            return StyleFarmError(status, "http", payload.decode("utf-8", "replace")[:500])

    @staticmethod
    def _job(job_id):
        return "/api/v1/jobs/" + urllib.parse.quote(job_id, safe="")

    # -- jobs ------------------------------------------------------------------------------------

    def submit(self, spec):
        """Submits a job and returns its id. `spec` is a dict with the keys of a spec file (docs/JOBS.md), or
        the YAML text of one; every path must be absolute."""
        if isinstance(spec, str):
            return self._request("POST", "/api/v1/jobs", spec, content_type="application/yaml")["id"]
        return self._request("POST", "/api/v1/jobs", spec)["id"]

    def jobs(self, states=None, limit=100, offset=0):
        """The jobs this token may see: a list of dicts (id, name, state, priority, owner, frames_*, progress)."""
        query = {"limit": limit, "offset": offset}
        if states:
            query["state"] = ",".join([states] if isinstance(states, str) else states)
        return self._request("GET", "/api/v1/jobs?" + urllib.parse.urlencode(query))["jobs"]

    def status(self, job_id):
        """The job with every frame (`frames`: index, number, state, attempts, worker, error, started_at, ended_at,
        render_seconds, evaluations, losses, warp_error for temporal jobs, thumbnail_url)."""
        return self._request("GET", self._job(job_id))

    def frame(self, job_id, number):
        """One frame as in `status`, with `tasks`: each task (flow, sweep, tile, output render) and every attempt
        (worker, outcome, times, wall_seconds, evaluations, peak_rss_bytes, losses)."""
        return self._request("GET", self._job(job_id) + f"/frames/{int(number)}")

    def contact_sheet(self, job_id, columns=8):
        """The finished frames in one PNG grid (bytes): write it to a file, or show it in a review tool."""
        return self._request("GET", self._job(job_id) + f"/contact-sheet?columns={int(columns)}")

    def cancel(self, job_id):
        return self._request("POST", self._job(job_id) + "/cancel")

    def pause(self, job_id, now=False):
        return self._request("POST", self._job(job_id) + "/pause", {"now": bool(now)})

    def resume(self, job_id):
        return self._request("POST", self._job(job_id) + "/resume")

    def set_priority(self, job_id, priority):
        return self._request("POST", self._job(job_id) + "/priority", {"priority": int(priority)})

    def requeue(self, job_id, frames=(), failed=False):
        """Renders frames again (frame numbers), and/or every failed one."""
        return self._request("POST", self._job(job_id) + "/requeue", {"frames": list(frames), "failed": bool(failed)})

    def delete(self, job_id, outputs=False):
        return self._request("DELETE", self._job(job_id) + ("?outputs=true" if outputs else ""))

    def logs(self, job_id, frame=None, attempt=None, running=False):
        """Task logs per attempt (`attempts`: worker, outcome, times, error, log)."""
        query = {}
        if frame is not None:
            query["frame"] = int(frame)
        if attempt is not None:
            query["attempt"] = int(attempt)
        if running:
            query["running"] = "true"
        return self._request("GET", self._job(job_id) + "/logs" + ("?" + urllib.parse.urlencode(query) if query else ""))

    # -- uploads (a farm without shared storage) ---------------------------------------------------

    def upload(self, files, chunk=1 << 20):
        """Sends local files to the coordinator and lays them out in one checkout folder there: `files` maps the
        relative path each file will have under the checkout (e.g. "plates/sh.1001.png") to its local path. Only
        contents the coordinator lacks travel (by SHA-256). Returns the checkout's root on the coordinator: a job
        then names its inputs under it, with "shared_filesystem": False, e.g.
            root = farm.upload({f"plates/sh.{n}.png": f"/local/sh.{n}.png" for n in range(1001, 1025)})
            farm.submit({..., "content": root + "/plates/sh.####.png", "shared_filesystem": False})"""
        names = {}
        for relative, local in files.items():
            digest = hashlib.sha256()
            with open(local, "rb") as handle:
                for block in iter(lambda: handle.read(chunk), b""):
                    digest.update(block)
            names[relative] = digest.hexdigest()
        distinct = sorted(set(names.values()))
        missing = set()
        for start in range(0, len(distinct), 10000):
            missing.update(self._request("POST", "/api/v1/uploads/missing", {"sha256": distinct[start:start + 10000]})["missing"])
        sent = set()
        for relative, local in files.items():
            name = names[relative]
            if name in missing and name not in sent:
                with open(local, "rb") as handle:
                    self._request("PUT", "/api/v1/uploads/" + name, handle, content_type="application/octet-stream",
                                  length=os.path.getsize(local), timeout=max(self.timeout, 600))
                sent.add(name)
        checkout, root = "", ""
        entries = [{"path": relative, "sha256": name} for relative, name in names.items()]
        for start in range(0, len(entries), 4000):
            answer = self._request("POST", "/api/v1/checkouts", {"checkout_id": checkout, "files": entries[start:start + 4000]})
            checkout, root = answer["checkout_id"], answer["root"]
        return root

    def workers(self):
        return self._request("GET", "/api/v1/workers")["workers"]

    def whoami(self):
        return self._request("GET", "/api/v1/whoami")

    # -- events ----------------------------------------------------------------------------------

    def events(self, job_id, timeout=None):
        """Yields the job's events (dicts: job_state, frames_done, frames_total, frame, running, terminal…)
        as they happen, until the terminal one. `timeout` bounds the wait for each event (keep-alives come every
        15 s, so anything above that only ends a stalled connection)."""
        headers = {"Accept": "text/event-stream"}
        if self.token:
            headers["Authorization"] = "Bearer " + self.token
        request = urllib.request.Request(self.url + self._job(job_id) + "/events", headers=headers)
        try:
            response = urllib.request.urlopen(request, timeout=timeout or max(self.timeout, 60))
        except urllib.error.HTTPError as error:
            raise self._error(error.code, error.read()) from None
        with response:
            kind, data = None, []
            for raw in response:
                line = raw.decode("utf-8").rstrip("\r\n")
                if line == "":
                    if kind == "job" and data:
                        event = json.loads("\n".join(data))
                        yield event
                        if event.get("terminal"):
                            return
                    kind, data = None, []
                elif line.startswith(":"):
                    continue
                elif line.startswith("event:"):
                    kind = line[6:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].lstrip())

    def wait(self, job_id, on_event=None, timeout=None):
        """Follows the job until it ends and returns its final status. `on_event(event)` sees each event;
        `timeout` (seconds) raises TimeoutError. Reconnects if the stream drops (a coordinator restart)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            try:
                for event in self.events(job_id):
                    if on_event:
                        on_event(event)
                    if deadline is not None and time.monotonic() > deadline:
                        raise TimeoutError(f"job {job_id} did not finish within {timeout} s")
                    if event.get("terminal"):
                        return self.status(job_id)
            except (ConnectionError, OSError) as error:
                if deadline is not None and time.monotonic() > deadline:
                    raise TimeoutError(f"job {job_id} did not finish within {timeout} s") from error
                time.sleep(1.0)
            status = self.status(job_id)
            if status["state"] in FINISHED:
                return status
