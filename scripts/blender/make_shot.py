"""Build a small test shot from scratch and render it to multilayer OpenEXR frames.

Run with Blender (3.4 or later), never with plain Python:

    blender -b --factory-startup --python scripts/blender/make_shot.py -- \
        --out DIR [--frames 8] [--width 160] [--height 90] [--samples 8]

The scene: a Suzanne monkey ("Suzanne"), a cube ("Cube"), a sphere ("Sphere") and a ground
plane ("Ground") under a sun light, seen by a camera ("Camera") that dollies and pans over
the frames, so consecutive frames have real parallax for optical flow. The world is not
rendered (film_transparent), so the sky above the ground is alpha 0.

Each frame N (1..frames) is written to DIR/shot.NNNN.exr: a multilayer OpenEXR, half float,
ZIP compression, with the Combined pass (RGBA), the Depth pass and Cryptomatte object passes
(levels 6, i.e. 3 rank layers CryptoObject00..02). Blender 3.4.1 names the channels
    ViewLayer.Combined.R/G/B/A          half (there is no unnamed R,G,B,A layer)
    ViewLayer.Depth.Z                   float32 (1e10 where nothing is hit)
    ViewLayer.CryptoObject00.r/g/b/a    float32 (lower-case, as the Cryptomatte spec writes them), 01, 02
and writes the header attributes cryptomatte/542cafa/name = "ViewLayer.CryptoObject",
/hash = "MurmurHash3_32", /conversion = "uint32_to_float32" and /manifest = {"Suzanne":"cb432898",...}.
Cycles on the CPU, fixed seed, no denoising,
no adaptive sampling: the same arguments give the same frames. (Measured with Blender 3.4.1:
Cryptomatte, Depth and alpha are bit-identical from run to run; Combined RGB can differ by one
half-float ulp in one or two pixels of the sphere's specular highlight, with one thread too.)
"""
import argparse
import math
import os
import sys
import time

try:
    import bpy
except ImportError:  # pragma: no cover - run outside Blender
    sys.stderr.write("make_shot.py: run me inside Blender: blender -b --factory-startup --python "
                     "scripts/blender/make_shot.py -- --out DIR\n")
    sys.exit(2)


def parse_args(argv):
    # Blender's own arguments come before "--"; ours after it.
    argv = argv[argv.index("--") + 1:] if "--" in argv else []

    class Parser(argparse.ArgumentParser):
        def error(self, message):
            sys.stderr.write("make_shot.py: error: %s\n" % message)
            self.print_usage(sys.stderr)
            sys.stderr.flush()
            os._exit(2)  # sys.exit inside Blender's --python still returns 0 from blender

    p = Parser(prog="blender -b --factory-startup --python scripts/blender/make_shot.py --",
               description="Render a small Suzanne test shot to multilayer EXR.")
    p.add_argument("--out", required=True, help="output folder (created if missing)")
    p.add_argument("--frames", type=int, default=8, help="number of frames, 1..1000 (default 8)")
    p.add_argument("--width", type=int, default=160, help="width in pixels, 8..8192 (default 160)")
    p.add_argument("--height", type=int, default=90, help="height in pixels, 8..8192 (default 90)")
    p.add_argument("--samples", type=int, default=8, help="Cycles samples per pixel, 1..4096 (default 8)")
    p.add_argument("--seed", type=int, default=0, help="Cycles seed (default 0)")
    a = p.parse_args(argv)
    if not 1 <= a.frames <= 1000:
        p.error("--frames must be between 1 and 1000, got %d" % a.frames)
    for name in ("width", "height"):
        v = getattr(a, name)
        if not 8 <= v <= 8192:
            p.error("--%s must be between 8 and 8192, got %d" % (name, v))
    if not 1 <= a.samples <= 4096:
        p.error("--samples must be between 1 and 4096, got %d" % a.samples)
    if a.seed < 0:
        p.error("--seed must be >= 0, got %d" % a.seed)
    return a


def material(name, rgb, roughness=0.5):
    m = bpy.data.materials.new(name)
    m.use_nodes = True
    bsdf = m.node_tree.nodes.get("Principled BSDF")
    bsdf.inputs["Base Color"].default_value = (*rgb, 1.0)
    bsdf.inputs["Roughness"].default_value = roughness
    return m


def build_scene(args):
    # --factory-startup gives the default cube, camera and light: start from an empty scene.
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    scene.name = "Scene"

    # Objects. Names are what Cryptomatte reports, so set them explicitly.
    bpy.ops.mesh.primitive_plane_add(size=12, location=(0, 0, 0))
    ground = bpy.context.active_object
    ground.name = "Ground"
    ground.data.materials.append(material("GroundMat", (0.35, 0.3, 0.25), 0.9))

    bpy.ops.mesh.primitive_monkey_add(size=1.6, location=(0, 0, 1.0), rotation=(0, 0, math.radians(-20)))
    suzanne = bpy.context.active_object
    suzanne.name = "Suzanne"
    bpy.ops.object.shade_smooth()
    suzanne.data.materials.append(material("SuzanneMat", (0.8, 0.45, 0.1), 0.4))

    bpy.ops.mesh.primitive_cube_add(size=1.0, location=(1.9, 0.9, 0.5), rotation=(0, 0, math.radians(30)))
    cube = bpy.context.active_object
    cube.name = "Cube"
    cube.data.materials.append(material("CubeMat", (0.1, 0.3, 0.8), 0.3))

    bpy.ops.mesh.primitive_uv_sphere_add(radius=0.6, location=(-1.9, 0.6, 0.6), segments=24, ring_count=12)
    sphere = bpy.context.active_object
    sphere.name = "Sphere"
    bpy.ops.object.shade_smooth()
    sphere.data.materials.append(material("SphereMat", (0.2, 0.7, 0.25), 0.2))

    # Light.
    sun_data = bpy.data.lights.new("Sun", type="SUN")
    sun_data.energy = 4.0
    sun = bpy.data.objects.new("Sun", sun_data)
    sun.rotation_euler = (math.radians(45), math.radians(10), math.radians(35))
    scene.collection.objects.link(sun)

    # World: dim ambient light; not visible in the frame because the film is transparent.
    world = bpy.data.worlds.new("World")
    world.use_nodes = True
    world.node_tree.nodes["Background"].inputs["Color"].default_value = (0.4, 0.5, 0.7, 1.0)
    world.node_tree.nodes["Background"].inputs["Strength"].default_value = 0.5
    scene.world = world

    # Camera: looks at Suzanne and dollies sideways and in over the shot (real parallax),
    # set low enough that the upper part of the frame is sky (alpha 0).
    cam_data = bpy.data.cameras.new("Camera")
    cam_data.lens = 35
    cam = bpy.data.objects.new("Camera", cam_data)
    scene.collection.objects.link(cam)
    scene.camera = cam
    target = bpy.data.objects.new("CameraTarget", None)
    target.location = (0, 0, 1.0)
    scene.collection.objects.link(target)
    track = cam.constraints.new("TRACK_TO")
    track.target = target
    track.track_axis = "TRACK_NEGATIVE_Z"
    track.up_axis = "UP_Y"

    scene.frame_start = 1
    scene.frame_end = args.frames
    start, end = (-2.0, -7.5, 1.6), (2.0, -6.0, 1.9)
    for frame in (1, args.frames):
        t = 0.0 if frame == 1 else 1.0
        cam.location = tuple(s + t * (e - s) for s, e in zip(start, end))
        cam.keyframe_insert("location", frame=frame)
    if cam.animation_data and cam.animation_data.action:
        for fc in cam.animation_data.action.fcurves:
            for kp in fc.keyframe_points:
                kp.interpolation = "LINEAR"
    return scene


def configure_render(scene, args):
    scene.render.engine = "CYCLES"
    cycles = scene.cycles
    cycles.device = "CPU"
    cycles.samples = args.samples
    cycles.use_adaptive_sampling = False
    cycles.use_denoising = False
    cycles.seed = args.seed
    cycles.use_animated_seed = False
    cycles.max_bounces = 4
    cycles.diffuse_bounces = 2
    cycles.glossy_bounces = 2
    cycles.transmission_bounces = 2
    cycles.transparent_max_bounces = 4
    cycles.caustics_reflective = False
    cycles.caustics_refractive = False
    cycles.tile_size = 2048

    r = scene.render
    r.resolution_x = args.width
    r.resolution_y = args.height
    r.resolution_percentage = 100
    r.pixel_aspect_x = r.pixel_aspect_y = 1
    r.film_transparent = True
    r.use_motion_blur = False
    r.threads_mode = "AUTO"
    r.use_persistent_data = False

    img = r.image_settings
    img.file_format = "OPEN_EXR_MULTILAYER"
    img.color_depth = "16"   # half float
    img.exr_codec = "ZIP"
    img.color_mode = "RGBA"
    r.use_file_extension = True

    vl = scene.view_layers[0]
    vl.name = "ViewLayer"
    vl.use_pass_combined = True
    vl.use_pass_z = True
    vl.use_pass_cryptomatte_object = True
    vl.use_pass_cryptomatte_material = False
    vl.use_pass_cryptomatte_asset = False
    vl.pass_cryptomatte_depth = 6
    vl.use_pass_cryptomatte_accurate = True


def main():
    args = parse_args(sys.argv)
    try:
        os.makedirs(args.out, exist_ok=True)
    except OSError as e:
        sys.stderr.write("make_shot.py: error: cannot create --out %s: %s\n" % (args.out, e))
        sys.stderr.flush()
        os._exit(2)
    scene = build_scene(args)
    configure_render(scene, args)
    out = os.path.abspath(args.out)
    times = []
    for frame in range(1, args.frames + 1):
        scene.frame_set(frame)
        # write_still does not expand "####": name each frame explicitly (shot.0001.exr ...).
        stem = os.path.join(out, "shot.%04d" % frame)
        scene.render.filepath = stem
        path = stem + ".exr"
        t0 = time.time()
        bpy.ops.render.render(write_still=True)
        times.append(time.time() - t0)
        if not os.path.isfile(path):
            sys.stderr.write("make_shot.py: error: Blender did not write %s\n" % path)
            sys.stderr.flush()
            os._exit(1)
        print("make_shot.py: wrote %s in %.2f s" % (path, times[-1]), flush=True)
    print("make_shot.py: %d frames %dx%d, %d samples, %.2f s/frame mean" %
          (args.frames, args.width, args.height, args.samples, sum(times) / len(times)), flush=True)


if __name__ == "__main__":
    try:
        main()
    except SystemExit:
        raise
    except BaseException as e:  # make Blender exit non-zero on any failure
        import traceback
        traceback.print_exc()
        sys.stderr.flush()
        os._exit(1)
