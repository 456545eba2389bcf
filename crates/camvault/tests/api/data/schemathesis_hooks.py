"""schemathesis hooks for camvault's conformance test.

The device API takes init and media segments as raw bodies typed
video/mp4 and video/iso.segment, and the album takes photos as image/jpeg;
schemathesis sends whatever it generates for them as bytes, so the
server's own validation is what answers.
"""

import schemathesis
from schemathesis.transport.serialization import serialize_binary


@schemathesis.serializer("video/mp4", "video/iso.segment", "image/jpeg")
def video(ctx, value):
    return {"data": serialize_binary(value)}
