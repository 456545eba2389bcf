#!/usr/bin/python3
"""A fake IP camera for tests: one RTSP stream at rtsp://127.0.0.1:PORT/cam.

Serves a GStreamer test pattern over RTSP (gst-rtsp-server), optionally behind
a username and password (Basic auth by default, or Digest). Binds 127.0.0.1 only.

Usage:
  rtsp-test-camera.py --port PORT [--user U --password P [--auth basic|digest]]
                      [--codec h264|h265|mjpeg] [--pattern smpte|ball]

  h264   640x360, 10 fps, H.264 (x264), keyframe every 10 frames (default)
  h265   640x360, 10 fps, H.265 (x265), keyframe every 10 frames
  mjpeg  320x240, 5 fps, Motion JPEG (RTP payload type 26)

  smpte  still colour bars (default): nothing moves
  ball   a white ball moving over black: motion all the time

Prints `READY rtsp://127.0.0.1:PORT/cam` on stdout once the server listens,
then serves until killed (SIGTERM/SIGINT).

Needs Debian's python3-gi, gir1.2-gst-rtsp-server-1.0 and the GStreamer
plugins base, good, bad (h264parse, x265enc) and ugly (x264enc); run it with
/usr/bin/python3 so the system `gi` module is found.
"""

import argparse
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402

PIPELINES = {
    "h264": (
        "( videotestsrc is-live=true pattern={pattern} "
        "! video/x-raw,width=640,height=360,framerate=10/1 "
        "! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=10 bitrate=500 "
        "! h264parse ! rtph264pay name=pay0 pt=96 config-interval=1 )"
    ),
    "h265": (
        "( videotestsrc is-live=true pattern={pattern} "
        "! video/x-raw,width=640,height=360,framerate=10/1 "
        "! x265enc tune=zerolatency speed-preset=ultrafast key-int-max=10 bitrate=500 "
        "! h265parse ! rtph265pay name=pay0 pt=96 config-interval=1 )"
    ),
    "mjpeg": (
        "( videotestsrc is-live=true pattern={pattern} "
        "! video/x-raw,format=I420,width=320,height=240,framerate=5/1 "
        "! jpegenc ! rtpjpegpay name=pay0 pt=26 )"
    ),
}

ROLE = "camera-user"


def keep_prepared(_factory, media):
    """Takes one extra prepare() reference on a new media once it is ready."""
    kept = []

    def on_prepared(prepared_media):
        if not kept:
            kept.append(True)
            prepared_media.prepare(None)

    media.connect("prepared", on_prepared)


def main() -> int:
    parser = argparse.ArgumentParser(description="Fake RTSP camera for tests.")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--user")
    parser.add_argument("--password")
    parser.add_argument("--codec", choices=sorted(PIPELINES), default="h264")
    parser.add_argument("--auth", choices=["basic", "digest"], default="basic")
    parser.add_argument("--pattern", choices=["smpte", "ball"], default="smpte")
    args = parser.parse_args()
    if (args.user is None) != (args.password is None):
        parser.error("--user and --password go together")

    Gst.init(None)

    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))

    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(PIPELINES[args.codec].format(pattern=args.pattern))
    factory.set_shared(True)
    # A probe DESCRIBEs and hangs up, which unprepares the shared media; a
    # DESCRIBE arriving while it shuts down gets 503 Service Unavailable. One
    # extra prepare() keeps the media running for the life of the camera.
    factory.connect("media-configure", keep_prepared)

    if args.user is not None:
        token = GstRtspServer.RTSPToken()
        token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, ROLE)
        auth = GstRtspServer.RTSPAuth()
        if args.auth == "basic":
            auth.add_basic(GstRtspServer.RTSPAuth.make_basic(args.user, args.password), token)
            auth.set_supported_methods(GstRtsp.RTSPAuthMethod.BASIC)
        else:
            # PyGObject cannot OR the two enum values, so a server offers one scheme.
            auth.add_digest(args.user, args.password, token)
            auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
        server.set_auth(auth)

        permissions = GstRtspServer.RTSPPermissions()
        permissions.add_permission_for_role(ROLE, GstRtspServer.RTSP_PERM_MEDIA_FACTORY_ACCESS, True)
        permissions.add_permission_for_role(ROLE, GstRtspServer.RTSP_PERM_MEDIA_FACTORY_CONSTRUCT, True)
        factory.set_permissions(permissions)

    server.get_mount_points().add_factory("/cam", factory)

    if server.attach(None) == 0:
        print(f"rtsp-test-camera: cannot listen on 127.0.0.1:{args.port}", file=sys.stderr)
        return 1

    loop = GLib.MainLoop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signum, loop.quit)

    print(f"READY rtsp://127.0.0.1:{args.port}/cam", flush=True)
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
