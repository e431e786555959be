"""Reads deploy/kubernetes (issue 21) for KubernetesManifestTests: every resource listed in kustomization.yaml is
validated against the Kubernetes JSON schemas (kubernetes-validate, strict: unknown fields are errors) for each
version given, and what the Swift test compares with the CLI and the tile memory model is printed as JSON.

    python k8s_manifests.py FOLDER VERSION...
"""
import json
import os
import sys

import kubernetes_validate
import yaml

folder, versions = sys.argv[1], sys.argv[2:]
with open(os.path.join(folder, "kustomization.yaml")) as f:
    kustomization = yaml.safe_load(f)
listed = kustomization.get("resources", [])
present = sorted(n for n in os.listdir(folder) if n.endswith(".yaml") and n != "kustomization.yaml")

report = {"listed": listed, "present": present, "errors": [], "validated": 0, "containers": [], "kinds": {},
          "images": [i["name"] for i in kustomization.get("images", [])]}
for name in listed:
    with open(os.path.join(folder, name)) as f:
        documents = [d for d in yaml.safe_load_all(f) if d]
    for document in documents:
        report["kinds"][f"{document['kind']}/{document['metadata']['name']}"] = name
        for version in versions:
            try:
                kubernetes_validate.validate(document, version, strict=True)
                report["validated"] += 1
            except kubernetes_validate.ValidationError as error:
                path = ".".join(str(p) for p in error.path)
                report["errors"].append(f"{name} ({version}): {path}: {error.message}")
            except Exception as error:  # a schema that is missing, a document that is not a resource
                report["errors"].append(f"{name} ({version}): {type(error).__name__}: {error}")
        spec = document.get("spec", {}).get("template", {}).get("spec")
        if not spec:
            continue
        for kind in ("initContainers", "containers"):
            for c in spec.get(kind, []):
                report["containers"].append({
                    "workload": document["metadata"]["name"], "name": c["name"], "initContainer": kind == "initContainers",
                    "image": c.get("image"), "command": c.get("command"), "args": c.get("args", []),
                    "resources": c.get("resources", {}),
                    "preStop": c.get("lifecycle", {}).get("preStop", {}).get("exec", {}).get("command"),
                    "runAsUser": spec.get("securityContext", {}).get("runAsUser"),
                    "grace": spec.get("terminationGracePeriodSeconds"),
                    "mounts": {m["name"]: m["mountPath"] for m in c.get("volumeMounts", [])},
                    "volumes": {v["name"]: {k: v[k] for k in v if k != "name"} for v in spec.get("volumes", [])},
                })
print(json.dumps(report))
