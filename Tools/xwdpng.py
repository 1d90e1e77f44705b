"""What the screenshot tools share: XWD (xwd -root of an Xvfb screen) to PNG with the standard library alone, and
stopping the processes a tool started."""
import struct, subprocess, zlib


def stop_all(started):
    """Stops every process in `started` by its pid, newest first: SIGTERM, then SIGKILL after 10 s."""
    for process in reversed(started):
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def xwd_to_png(data, box=None):
    """XWD ZPixmap at 24 or 32 bits per pixel (Xvfb's root window) to an RGB PNG; `box` (x, y, width, height) crops."""
    h = struct.unpack(">25I", data[:100])
    header_size, width, height, byte_order, bpp, bytes_per_line, ncolors = h[0], h[4], h[5], h[7], h[11], h[12], h[19]
    pixels, step, rows = data[header_size + ncolors * 12:], h[11] // 8, []
    left, top, width, height = box or (0, 0, width, height)
    for y in range(top, top + height):
        line, out = pixels[y * bytes_per_line:(y + 1) * bytes_per_line], bytearray(b"\x00")
        for x in range(left, left + width):
            p = line[x * step:x * step + step]
            out += bytes((p[2], p[1], p[0]) if byte_order == 0 else (p[-3], p[-2], p[-1]))
        rows.append(bytes(out))

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"".join(rows), 9)) + chunk(b"IEND", b""))

