#!/usr/bin/env python3
"""Split a fragmented MP4 into an init segment (ftyp+moov) and a media file
(every moof+mdat pair, in order). Top-level boxes other than these (mfra,
free, ...) are dropped.

usage: split.py IN.mp4 INIT.mp4 MEDIA.m4s
"""
import struct
import sys

src, init_path, media_path = sys.argv[1:4]
data = open(src, "rb").read()
init, media = b"", b""
off = 0
while off < len(data):
    size, kind = struct.unpack(">I4s", data[off:off + 8])
    if size == 1:
        size = struct.unpack(">Q", data[off + 8:off + 16])[0]
    elif size == 0:
        size = len(data) - off
    box = data[off:off + size]
    if kind in (b"ftyp", b"moov"):
        init += box
    elif kind in (b"moof", b"mdat"):
        media += box
    off += size
open(init_path, "wb").write(init)
open(media_path, "wb").write(media)
