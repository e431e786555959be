"""Independent checks of a coordinator's trust boundary (issue 17), with pyzmq and the project's .proto files
compiled by protoc — nothing from the Swift code. Run by FarmPythonPeerTests; prints one JSON object.

usage: peer_checks.py PB_DIR WORKER_ENDPOINT CLIENT_ENDPOINT ADMIN_CREDENTIAL WORKER_CREDENTIAL SECRET_FILE ALLOWED_DIR
"""
import json
import os
import sys
import time

import zmq

sys.path.insert(0, sys.argv[1])
import client_pb2  # noqa: E402
import worker_pb2  # noqa: E402

WORKER_ENDPOINT, CLIENT_ENDPOINT = sys.argv[2], sys.argv[3]
ADMIN, WORKER, SECRET, ALLOWED = sys.argv[4], sys.argv[5], sys.argv[6], sys.argv[7]
HEADER_Q, HEADER_R, HEADER_W, HEADER_C = b"SF\x01Q", b"SF\x01R", b"SF\x01W", b"SF\x01C"
ctx = zmq.Context()
results = {}


def credential(path):
    fields = dict(line.split(": ", 1) for line in open(path).read().splitlines() if ": " in line and not line.startswith("#"))
    return fields["coordinator"].encode(), fields["public"].encode(), fields["secret"].encode()


def dealer(endpoint, keys, identity=None):
    sock = ctx.socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    if identity:
        sock.setsockopt(zmq.ROUTING_ID, identity)
    if keys:
        server, public, secret = keys
        sock.setsockopt(zmq.CURVE_SERVERKEY, server)
        sock.setsockopt(zmq.CURVE_PUBLICKEY, public)
        sock.setsockopt(zmq.CURVE_SECRETKEY, secret)
    sock.connect(endpoint)
    return sock


def client_request(sock, request_id, fill, timeout_ms=5000):
    req = client_pb2.ClientRequest(request_id=request_id)
    fill(req)
    sock.send_multipart([HEADER_Q, req.SerializeToString()])
    deadline = time.time() + timeout_ms / 1000
    while time.time() < deadline:
        if sock.poll(100):
            header, body, *_ = sock.recv_multipart()
            reply = client_pb2.ClientReply.FromString(body)
            if reply.request_id == request_id:
                return reply
    return None


def worker_send(sock, fill):
    msg = worker_pb2.WorkerMessage()
    fill(msg)
    sock.send_multipart([HEADER_W, msg.SerializeToString()])


def worker_receive(sock, want, timeout_ms=5000):
    deadline = time.time() + timeout_ms / 1000
    while time.time() < deadline:
        if sock.poll(100):
            header, body, *_ = sock.recv_multipart()
            msg = worker_pb2.CoordinatorMessage.FromString(body)
            found = want(msg)
            if found is not None:
                return found
    return None


def register(msg, worker_id):
    msg.register.worker_id = worker_id
    msg.register.protocol_version = 1
    msg.register.slots = 1


# 1. A key the coordinator does not know: no RegisterAck, no reply to ListJobs, within 3 s.
public, secret = zmq.curve_keypair()
server_key = credential(ADMIN)[0]
stranger_worker = dealer(WORKER_ENDPOINT, (server_key, public, secret), b"stranger")
worker_send(stranger_worker, lambda m: register(m, "stranger"))
results["unknown_key_register_ack"] = worker_receive(stranger_worker, lambda m: m if m.HasField("register_ack") else None, 3000) is not None
stranger_client = dealer(CLIENT_ENDPOINT, (server_key, public, secret))
results["unknown_key_list_reply"] = client_request(stranger_client, 1, lambda r: r.list_jobs.SetInParent(), 3000) is not None
plain_client = dealer(CLIENT_ENDPOINT, None)
results["plain_list_reply"] = client_request(plain_client, 1, lambda r: r.list_jobs.SetInParent(), 3000) is not None

# 2. The file-read attack with an admin key: a stylize job whose style is a file outside --allow-read.
admin = dealer(CLIENT_ENDPOINT, credential(ADMIN))


def attack(req):
    spec = req.submit_job.spec
    spec.name = "attack"
    spec.kind = client_pb2.JOB_KIND_STYLIZE
    spec.content_pattern = os.path.join(ALLOWED, "plate.####.png")
    spec.frames = "1"
    spec.style_paths.append(SECRET)
    spec.output_dir = os.path.join(ALLOWED, "out")


reply = client_request(admin, 2, attack, 20000)
results["attack_error_code"] = client_pb2.ClientError.Code.Name(reply.submit_job.error.code) if reply else "no reply"
results["attack_error_message"] = reply.submit_job.error.message if reply else ""

# 3. A real worker key asks for blobs no task of its names, and for names that are not hashes.
worker = dealer(WORKER_ENDPOINT, credential(WORKER), b"py-worker")
worker_send(worker, lambda m: register(m, "py-worker"))
ack = worker_receive(worker, lambda m: m.register_ack if m.HasField("register_ack") else None)
results["worker_registered"] = bool(ack and ack.accepted)
import hashlib  # noqa: E402
secret_hash = hashlib.sha256(open(SECRET, "rb").read()).hexdigest()
names = [secret_hash, "../x", "ABC"]
worker_send(worker, lambda m: m.blob_request.sha256.extend(names))
answers = {}
deadline = time.time() + 5
while len(answers) < len(names) and time.time() < deadline:
    got = worker_receive(worker, lambda m: m.blob_data if m.HasField("blob_data") else None, 1000)
    if got is not None:
        answers[got.sha256] = got.not_found
results["blob_answers"] = {name: answers.get(name, "no answer") for name in names}

# 4. 64 frames of 60 MiB to the client port, with a valid key: the coordinator drops the peer and keeps answering.
big = dealer(CLIENT_ENDPOINT, credential(ADMIN))
chunk = bytearray(60 << 20)
try:
    big.send_multipart([HEADER_Q] + [chunk] * 64, copy=False)
except zmq.ZMQError as error:
    results["flood_send_error"] = str(error)
time.sleep(2)
after = dealer(CLIENT_ENDPOINT, credential(ADMIN))
results["status_after_flood"] = client_request(after, 3, lambda r: r.list_jobs.SetInParent(), 10000) is not None

print(json.dumps(results))
sys.stdout.flush()
os._exit(0)
