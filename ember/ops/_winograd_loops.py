"""The tile transforms of Winograd F(2x2, 3x3) (ember/ops/_winograd.py) as numba loops over
channels-last arrays (the `fast` extra; ember/backend/jit.py), the channel loop innermost.

The input and output-gradient transforms first copy each image into a small zero-padded buffer (the
padding, and zeros past an odd output), so their tile loops need no bounds tests; the input itself
is never padded as a whole. The input adjoint adds tiles into such a buffer and copies out its inside. With B^T, A^T the F(2, 3) matrices of
benchmarks/_winograd.py and tile (i, j) at rows 2i.., columns 2j.. of the buffer:

    input_transform    V = B^T d B      (N, H, W, C) -> (16, tiles, C)     d: 4x4 tiles
    grad_transform     Gy = A gy A^T    (N, OH, OW, O) -> (16, tiles, O)   gy: 2x2 tiles
    output_transform   y = A^T M A      (16, tiles, O) -> (N, OH, OW, O), + bias, ReLU
    input_adjoint      gx = sum of B Z B^T added where each tile read (16, tiles, C) -> (N, H, W, C)

Each transform is split into a few loops over channels with few loads and stores each, through a
small scratch where needed: LLVM vectorizes those, not one loop with 16 of each, and loops reading
many rows of the GEMM results ran 3x slower than a row stage into scratch plus a column stage (the
cnn's conv2, one thread: input transform 0.83 -> 0.42 ms, gradient 1.07 -> 0.47, output 1.05 -> 0.33).
The copies of user data, and the loops writing results, add `zero * value` into `chk` (C,): it stays
0 when every value was finite and turns NaN otherwise (inf * 0), so the caller can run a direct
convolution instead (the transforms mix a tile's values: inf - inf gives NaN where a direct
convolution gives inf, and values near the dtype's maximum overflow where it stays finite).
"""
from ember.backend.jit import Kernel


def _input_loop(xl, v, d, chk, t, l, zero):
    # xl (N, H, W, C) -> v (16, N*TH*TW, C), through d (2TH + 2, 2TW + 2, C): rows of B^T d first
    th, tw, c_ = (d.shape[0] - 2) // 2, (d.shape[1] - 2) // 2, d.shape[2]
    for n in range(xl.shape[0]):
        for r in range(d.shape[0]):   # the image, zero-padded, into d; chk sees every value read
            rs = r - t
            for q in range(d.shape[1]):
                qs = q - l
                if 0 <= rs < xl.shape[1] and 0 <= qs < xl.shape[2]:
                    for c in range(c_):
                        val = xl[n, rs, qs, c]
                        d[r, q, c] = val
                        chk[c] += zero * val
                else:
                    for c in range(c_):
                        d[r, q, c] = zero
        for i in range(th):
            r = 2 * i
            for j in range(tw):
                p, q = (n * th + i) * tw + j, 2 * j
                for c in range(c_):   # row 0: d0 - d2
                    s0, s1 = d[r, q, c] - d[r + 2, q, c], d[r, q + 1, c] - d[r + 2, q + 1, c]
                    s2, s3 = d[r, q + 2, c] - d[r + 2, q + 2, c], d[r, q + 3, c] - d[r + 2, q + 3, c]
                    v[0, p, c], v[1, p, c], v[2, p, c], v[3, p, c] = s0 - s2, s1 + s2, s2 - s1, s1 - s3
                for c in range(c_):   # row 1: d1 + d2
                    s0, s1 = d[r + 1, q, c] + d[r + 2, q, c], d[r + 1, q + 1, c] + d[r + 2, q + 1, c]
                    s2, s3 = d[r + 1, q + 2, c] + d[r + 2, q + 2, c], d[r + 1, q + 3, c] + d[r + 2, q + 3, c]
                    v[4, p, c], v[5, p, c], v[6, p, c], v[7, p, c] = s0 - s2, s1 + s2, s2 - s1, s1 - s3
                for c in range(c_):   # row 2: d2 - d1
                    s0, s1 = d[r + 2, q, c] - d[r + 1, q, c], d[r + 2, q + 1, c] - d[r + 1, q + 1, c]
                    s2, s3 = d[r + 2, q + 2, c] - d[r + 1, q + 2, c], d[r + 2, q + 3, c] - d[r + 1, q + 3, c]
                    v[8, p, c], v[9, p, c], v[10, p, c], v[11, p, c] = s0 - s2, s1 + s2, s2 - s1, s1 - s3
                for c in range(c_):   # row 3: d1 - d3
                    s0, s1 = d[r + 1, q, c] - d[r + 3, q, c], d[r + 1, q + 1, c] - d[r + 3, q + 1, c]
                    s2, s3 = d[r + 1, q + 2, c] - d[r + 3, q + 2, c], d[r + 1, q + 3, c] - d[r + 3, q + 3, c]
                    v[12, p, c], v[13, p, c], v[14, p, c], v[15, p, c] = s0 - s2, s1 + s2, s2 - s1, s1 - s3


def _grad_loop(gy, g, d, chk, zero):
    # gy (N, OH, OW, O) -> g (16, N*TH*TW, O) through d (2TH, 2TW, O): rows A gy, then (a, a+b, a-b, -b)
    th, tw, o_ = d.shape[0] // 2, d.shape[1] // 2, d.shape[2]
    for n in range(gy.shape[0]):
        for r in range(d.shape[0]):   # the image, zeros past an odd output, into d
            for q in range(d.shape[1]):
                if r < gy.shape[1] and q < gy.shape[2]:
                    for o in range(o_):
                        val = gy[n, r, q, o]
                        d[r, q, o] = val
                        chk[o] += zero * val
                else:
                    for o in range(o_):
                        d[r, q, o] = zero
        for i in range(th):
            r = 2 * i
            for j in range(tw):
                p, q = (n * th + i) * tw + j, 2 * j
                for o in range(o_):   # rows 0 (g0) and 3 (-g1)
                    a0, b0, a1, b1 = d[r, q, o], d[r, q + 1, o], d[r + 1, q, o], d[r + 1, q + 1, o]
                    g[0, p, o], g[1, p, o], g[2, p, o], g[3, p, o] = a0, a0 + b0, a0 - b0, -b0
                    g[12, p, o], g[13, p, o], g[14, p, o], g[15, p, o] = -a1, -a1 - b1, b1 - a1, b1
                for o in range(o_):   # rows 1 (g0 + g1) and 2 (g0 - g1)
                    a0, b0, a1, b1 = d[r, q, o], d[r, q + 1, o], d[r + 1, q, o], d[r + 1, q + 1, o]
                    a2, b2, a3, b3 = a0 + a1, b0 + b1, a0 - a1, b0 - b1
                    g[4, p, o], g[5, p, o], g[6, p, o], g[7, p, o] = a2, a2 + b2, a2 - b2, -b2
                    g[8, p, o], g[9, p, o], g[10, p, o], g[11, p, o] = a3, a3 + b3, a3 - b3, -b3


def _output_loop(m, y, d, bias, add_bias, relu, th, tw, chk, zero):
    # m (16, N*TH*TW, O) -> y (N, OH, OW, O) through the scratch d (8, O): rows t = m0 + m1 + m2 and
    # u = m1 - m2 - m3, then (t0 + t1 + t2, t1 - t2 - t3) and the same of u, + bias, ReLU as bias_relu
    # (NaN kept, -0.0 -> 0.0); what falls past an odd output is dropped; chk sees every value written
    oh, ow, o_ = y.shape[1], y.shape[2], y.shape[3]
    for n in range(y.shape[0]):
        for i in range(th):
            r, down = 2 * i, 2 * i + 1 < oh
            for j in range(tw):
                q, right = 2 * j, 2 * j + 1 < ow
                p = (n * th + i) * tw + j
                for k in range(4):
                    for o in range(o_):
                        m0, m1, m2, m3 = m[k, p, o], m[4 + k, p, o], m[8 + k, p, o], m[12 + k, p, o]
                        d[k, o], d[4 + k, o] = m0 + m1 + m2, m1 - m2 - m3
                for k in range(2 if down else 1):
                    e = 4 * k
                    for o in range(o_):
                        b = bias[o] if add_bias else zero
                        y0 = d[e, o] + d[e + 1, o] + d[e + 2, o] + b
                        y1 = d[e + 1, o] - d[e + 2, o] - d[e + 3, o] + b
                        if relu:
                            y0 = y0 if y0 > 0 or y0 != y0 else zero
                            y1 = y1 if y1 > 0 or y1 != y1 else zero
                        y[n, r + k, q, o] = y0
                        chk[o] += zero * y0
                        if right:
                            y[n, r + k, q + 1, o] = y1
                            chk[o] += zero * y1


def _adjoint_loop(z, gx, d, buf, t, l, chk, zero):
    # z (16, N*TH*TW, C) -> gx (N, H, W, C): each tile's X = B z B^T, z's rows first into the scratch
    # d (16, C) as (z0, z1 - z2 + z3, z1 + z2 - z0, -z3), then the same down each column added into the
    # zeroed buf (2TH + 2, 2TW + 2, C) where the tile read; gx is buf less the padding (chk sees it)
    th, tw, c_ = (buf.shape[0] - 2) // 2, (buf.shape[1] - 2) // 2, buf.shape[2]
    h, w = gx.shape[1], gx.shape[2]
    for n in range(gx.shape[0]):
        buf[:] = zero
        for i in range(th):
            for j in range(tw):
                p, r, q = (n * th + i) * tw + j, 2 * i, 2 * j
                for a in range(4):
                    e = 4 * a
                    for c in range(c_):
                        z0, z1, z2, z3 = z[e, p, c], z[e + 1, p, c], z[e + 2, p, c], z[e + 3, p, c]
                        d[e, c], d[e + 1, c], d[e + 2, c], d[e + 3, c] = z0, z1 - z2 + z3, z1 + z2 - z0, -z3
                for b in range(4):
                    for c in range(c_):
                        s0, s1, s2, s3 = d[b, c], d[4 + b, c], d[8 + b, c], d[12 + b, c]
                        buf[r, q + b, c] += s0
                        buf[r + 1, q + b, c] += s1 - s2 + s3
                        buf[r + 2, q + b, c] += s1 + s2 - s0
                        buf[r + 3, q + b, c] -= s3
        for rr in range(h):
            for qq in range(w):
                inside = rr + t < buf.shape[0] and qq + l < buf.shape[1]
                for c in range(c_):
                    val = buf[rr + t, qq + l, c] if inside else zero
                    gx[n, rr, qq, c] = val
                    chk[c] += zero * val


INPUT, GRAD, OUTPUT, ADJOINT = Kernel(_input_loop), Kernel(_grad_loop), Kernel(_output_loop), Kernel(_adjoint_loop)
