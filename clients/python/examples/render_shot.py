#!/usr/bin/env python3
"""What a compositor's or TD's script does: send a shot to the farm, follow it, report, fetch a failed frame's log.

    STYLEFARM_URL=http://farm:8080 STYLEFARM_TOKEN=sft_… \
        render_shot.py /plates/shot010/shot010.####.png 1001-1024 /styles/starry.jpg /renders/shot010 [--priority 70]
    (--upload: the farm cannot read this machine's disks; the plates and style travel over HTTP first)

Inside Nuke, the same calls take the read node's file and frame range:
    farm.submit({"name": node.name(), "content": node["file"].value().replace("%04d", "####"),
                 "frames": f"{node.firstFrame()}-{node.lastFrame()}", "styles": [style], "output_dir": out})
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from stylefarm_client import Client, StyleFarmError  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("content", help="plate pattern with #### for the frame number (absolute)")
    parser.add_argument("frames", help="frame range, e.g. 1001-1024")
    parser.add_argument("style", help="style image (absolute path), or 'echo' for a diagnostic job")
    parser.add_argument("output_dir", help="where the farm writes the frames (absolute)")
    parser.add_argument("--name", default=None)
    parser.add_argument("--priority", type=int, default=50)
    parser.add_argument("--iterations", type=int, default=None)
    parser.add_argument("--upload", action="store_true",
                        help="the farm does not see this machine's disks: send the plates (and style) over HTTP first")
    arguments = parser.parse_args()

    spec = {"name": arguments.name or os.path.basename(arguments.output_dir.rstrip("/")) or "shot",
            "content": arguments.content, "frames": arguments.frames, "output_dir": arguments.output_dir,
            "priority": arguments.priority}
    if arguments.style == "echo":
        spec.update({"kind": "echo", "echo_seconds": 0.2})
    else:
        spec["styles"] = [arguments.style]
    if arguments.iterations:
        spec["iterations"] = arguments.iterations

    farm = Client()
    if arguments.upload:
        # Every plate of the range, and the style, go into one checkout on the coordinator; the job reads them there.
        first, _, last = arguments.frames.partition("-")
        numbers = range(int(first), int(last or first) + 1)
        files = {"plates/" + os.path.basename(arguments.content).replace("####", f"{n:04d}"):
                 arguments.content.replace("####", f"{n:04d}") for n in numbers}
        if arguments.style != "echo":
            files["style/" + os.path.basename(arguments.style)] = arguments.style
        root = farm.upload(files)
        spec["content"] = root + "/plates/" + os.path.basename(arguments.content)
        if arguments.style != "echo":
            spec["styles"] = [root + "/style/" + os.path.basename(arguments.style)]
        spec["shared_filesystem"] = False
        print(f"uploaded {len(files)} file(s) into {root}", flush=True)
    try:
        job = farm.submit(spec)
    except StyleFarmError as error:
        print(f"the farm refused the job: {error.message}", file=sys.stderr)
        return 2
    print(f"submitted {job}", flush=True)

    def progress(event):
        frame = event.get("frame")
        if frame:
            print(f"  frame {frame['number']}: {frame['state']}" + (f" ({frame.get('error')})" if frame.get("error") else ""), flush=True)

    final = farm.wait(job, on_event=progress)
    print(f"{job}: {final['state']}, {final['frames_done']}/{final['frames_total']} frames done, {final['frames_failed']} failed")
    for frame in final["frames"]:
        if frame["state"] == "failed":
            attempts = farm.logs(job, frame=frame["number"])["attempts"]
            print(f"--- frame {frame['number']}, last attempt's log:\n{attempts[-1]['log'] if attempts else '(none)'}")
    return 0 if final["state"] == "completed" else 1


if __name__ == "__main__":
    sys.exit(main())
