"""The tile transforms of Winograd F(2x2, 3x3) (ember/ops/_winograd.py) as numba loops over
channels-last arrays (the `fast` extra; ember/backend/jit.py), the channel loop innermost.

A 4x4 input tile d starts at (2i - top, 2j - left) of the unpadded input; what it reads outside the
input is zero (no padded copy). A 2x2 tile of the output (gradient) starts at (2i, 2j); past an odd
output it is zero, or dropped. With B^T, A^T the F(2, 3) matrices of benchmarks/_winograd.py:

    input_transform    V = B^T d B      (N, H, W, C) -> (16, tiles, C)
    grad_transform     Gy = A gy A^T    (N, OH, OW, O) -> (16, tiles, O)
    output_transform   y = A^T M A      (16, tiles, O) -> (N, OH, OW, O), + bias, ReLU
    input_adjoint      gx += B Z B^T    (16, tiles, C) -> (N, H, W, C), tiles added where they read

The two transforms that read user data also add `zero * s` for sums s that hold every value they
read into `chk` (C,): it stays 0 when all were finite and turns NaN otherwise (inf * 0), so the
caller can fall back to a direct convolution (an inf in a tile becomes NaN here, inf there).
"""
from ember.backend.jit import Kernel


def _input_loop(xl, v, d, chk, t, l, th, tw, zero):
    # xl (N, H, W, C); v (16, N*TH*TW, C); d (16, C) scratch: the tile, zeros outside the input
    n_, h, w, c_ = xl.shape
    for n in range(n_):
        for i in range(th):
            for j in range(tw):
                p = (n * th + i) * tw + j
                for a in range(4):
                    r = 2 * i + a - t
                    for b in range(4):
                        q = 2 * j + b - l
                        if 0 <= r < h and 0 <= q < w:
                            for c in range(c_):
                                d[4 * a + b, c] = xl[n, r, q, c]
                        else:
                            for c in range(c_):
                                d[4 * a + b, c] = zero
                for c in range(c_):
                    # rows first: s_a = (B^T d)_a, then columns of each row
                    s00 = d[0, c] - d[8, c]
                    s01 = d[1, c] - d[9, c]
                    s02 = d[2, c] - d[10, c]
                    s03 = d[3, c] - d[11, c]
                    s10 = d[4, c] + d[8, c]
                    s11 = d[5, c] + d[9, c]
                    s12 = d[6, c] + d[10, c]
                    s13 = d[7, c] + d[11, c]
                    s20 = d[8, c] - d[4, c]
                    s21 = d[9, c] - d[5, c]
                    s22 = d[10, c] - d[6, c]
                    s23 = d[11, c] - d[7, c]
                    s30 = d[4, c] - d[12, c]
                    s31 = d[5, c] - d[13, c]
                    s32 = d[6, c] - d[14, c]
                    s33 = d[7, c] - d[15, c]
                    # rows 0 (d0 - d2) and 3 (d1 - d3) hold every value read
                    chk[c] += zero * (s00 + s01 + s02 + s03 + s30 + s31 + s32 + s33)
                    v[0, p, c] = s00 - s02
                    v[1, p, c] = s01 + s02
                    v[2, p, c] = s02 - s01
                    v[3, p, c] = s01 - s03
                    v[4, p, c] = s10 - s12
                    v[5, p, c] = s11 + s12
                    v[6, p, c] = s12 - s11
                    v[7, p, c] = s11 - s13
                    v[8, p, c] = s20 - s22
                    v[9, p, c] = s21 + s22
                    v[10, p, c] = s22 - s21
                    v[11, p, c] = s21 - s23
                    v[12, p, c] = s30 - s32
                    v[13, p, c] = s31 + s32
                    v[14, p, c] = s32 - s31
                    v[15, p, c] = s31 - s33


def _grad_loop(gy, g, chk, th, tw, zero):
    # gy (N, OH, OW, O) -> g (16, N*TH*TW, O): u = A gy (rows), then u A^T
    n_, oh, ow, o_ = gy.shape
    for n in range(n_):
        for i in range(th):
            r, down = 2 * i, 2 * i + 1 < oh
            for j in range(tw):
                q, right = 2 * j, 2 * j + 1 < ow
                p = (n * th + i) * tw + j
                for o in range(o_):
                    a0 = gy[n, r, q, o]
                    b0 = gy[n, r, q + 1, o] if right else zero
                    a1 = gy[n, r + 1, q, o] if down else zero
                    b1 = gy[n, r + 1, q + 1, o] if down and right else zero
                    chk[o] += zero * (a0 + b0 + a1 + b1)
                    a2, b2, a3, b3 = a0 + a1, b0 + b1, a0 - a1, b0 - b1
                    g[0, p, o] = a0
                    g[1, p, o] = a0 + b0
                    g[2, p, o] = a0 - b0
                    g[3, p, o] = -b0
                    g[4, p, o] = a2
                    g[5, p, o] = a2 + b2
                    g[6, p, o] = a2 - b2
                    g[7, p, o] = -b2
                    g[8, p, o] = a3
                    g[9, p, o] = a3 + b3
                    g[10, p, o] = a3 - b3
                    g[11, p, o] = -b3
                    g[12, p, o] = -a1
                    g[13, p, o] = -a1 - b1
                    g[14, p, o] = b1 - a1
                    g[15, p, o] = b1


def _output_loop(m, y, bias, add_bias, relu, th, tw, zero):
    # m (16, N*TH*TW, O) -> y (N, OH, OW, O): t = A^T m (rows), then t A; bias and ReLU as bias_relu
    n_, oh, ow, o_ = y.shape
    for n in range(n_):
        for i in range(th):
            r, down = 2 * i, 2 * i + 1 < oh
            for j in range(tw):
                q, right = 2 * j, 2 * j + 1 < ow
                p = (n * th + i) * tw + j
                for o in range(o_):
                    t0 = m[0, p, o] + m[4, p, o] + m[8, p, o]
                    t1 = m[1, p, o] + m[5, p, o] + m[9, p, o]
                    t2 = m[2, p, o] + m[6, p, o] + m[10, p, o]
                    t3 = m[3, p, o] + m[7, p, o] + m[11, p, o]
                    u0 = m[4, p, o] - m[8, p, o] - m[12, p, o]
                    u1 = m[5, p, o] - m[9, p, o] - m[13, p, o]
                    u2 = m[6, p, o] - m[10, p, o] - m[14, p, o]
                    u3 = m[7, p, o] - m[11, p, o] - m[15, p, o]
                    e = bias[o] if add_bias else zero
                    y00, y01 = t0 + t1 + t2 + e, t1 - t2 - t3 + e
                    y10, y11 = u0 + u1 + u2 + e, u1 - u2 - u3 + e
                    if relu:
                        y00 = y00 if y00 > 0 or y00 != y00 else zero
                        y01 = y01 if y01 > 0 or y01 != y01 else zero
                        y10 = y10 if y10 > 0 or y10 != y10 else zero
                        y11 = y11 if y11 > 0 or y11 != y11 else zero
                    y[n, r, q, o] = y00
                    if right:
                        y[n, r, q + 1, o] = y01
                    if down:
                        y[n, r + 1, q, o] = y10
                        if right:
                            y[n, r + 1, q + 1, o] = y11


def _adjoint_loop(z, gx, d, t, l, th, tw):
    # z (16, N*TH*TW, C): each tile's B z B^T (into the scratch d (16, C)) added into the zeroed
    # gx (N, H, W, C) where the tile read; what it read from the padding is dropped
    n_, h, w, c_ = gx.shape
    for n in range(n_):
        for i in range(th):
            for j in range(tw):
                p = (n * th + i) * tw + j
                for a in range(4):   # rows first: z's row a -> (z0, z1 - z2 + z3, z1 + z2 - z0, -z3)
                    e = 4 * a
                    for c in range(c_):
                        z0, z1, z2, z3 = z[e, p, c], z[e + 1, p, c], z[e + 2, p, c], z[e + 3, p, c]
                        d[e, c], d[e + 1, c], d[e + 2, c], d[e + 3, c] = z0, z1 - z2 + z3, z1 + z2 - z0, -z3
                for b in range(4):   # then the same along columns, in place
                    for c in range(c_):
                        s0, s1, s2, s3 = d[b, c], d[4 + b, c], d[8 + b, c], d[12 + b, c]
                        d[b, c], d[4 + b, c], d[8 + b, c], d[12 + b, c] = s0, s1 - s2 + s3, s1 + s2 - s0, -s3
                for a in range(4):
                    r = 2 * i + a - t
                    if r < 0 or r >= h:
                        continue
                    for b in range(4):
                        q = 2 * j + b - l
                        if 0 <= q < w:
                            for c in range(c_):
                                gx[n, r, q, c] += d[4 * a + b, c]


INPUT, GRAD, OUTPUT, ADJOINT = Kernel(_input_loop), Kernel(_grad_loop), Kernel(_output_loop), Kernel(_adjoint_loop)
