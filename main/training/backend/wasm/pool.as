// AssemblyScript source of the cpu max-pooling kernels (built with conv.as and norm.as by build.ts).
// Max pooling with 2x2 (2D) or 2x2x2 (3D) windows, stride 2 and no padding (a U-Net's downsampling), channels-last
// [batch, inD, inH, inW, c]; 2D is depth 1 with a depth window of 1. Windows are scanned in tfjs' order (d, h, w):
// a NaN never wins, a window of NaNs gives -Infinity and no gradient, and ties go to the first maximum (lastOnTies 0,
// tfjs' MaxPoolGrad) or the last (lastOnTies 1, tfjs' MaxPool3DGrad). Work is shared by output lines (batch, od, oh),
// claimed from an atomic counter.

@inline function claimLines(counter: usize): i32 {
  return atomic.add<i32>(counter, 1);
}

// Byte offsets of a window's 8 voxels from its first, in scan order (this instance's globals: no allocation, as the
// memory past the module's data belongs to the pool's arena).
let o1: usize = 0, o2: usize = 0, o3: usize = 0, o4: usize = 0, o5: usize = 0, o6: usize = 0, o7: usize = 0;

function setWindow(inH: i32, inW: i32, c: i32): void {
  const cb = <usize>c << 2;
  const row = <usize>inW * cb;
  const plane = <usize>inH * row;
  o1 = cb; o2 = row; o3 = row + cb;
  o4 = plane; o5 = plane + cb; o6 = plane + row; o7 = plane + row + cb;
}

/** y = the maximum of each window of x. */
export function maxPoolHalving(x: usize, y: usize, inD: i32, inH: i32, inW: i32, c: i32, kD: i32, lines: i32, linesPerClaim: i32, counter: usize): void {
  const outD = inD / kD, outH = inH >> 1, outW = inW >> 1;
  setWindow(inH, inW, c);
  const vectorC = c & ~3;
  const lowest = f32x4.splat(-Infinity);
  for (;;) {
    const first = claimLines(counter) * linesPerClaim;
    if (first >= lines) break;
    const end = min(lines, first + linesPerClaim);
    for (let line = first; line < end; line++) {
      const b = line / (outD * outH);
      const rem = line - b * outD * outH;
      const od = rem / outH;
      const oh = rem - od * outH;
      let out = y + ((<usize>line * <usize>outW * <usize>c) << 2);
      for (let ow = 0; ow < outW; ow++) {
        const base = x + ((<usize>(((b * inD + od * kD) * inH + oh * 2) * inW + ow * 2) * <usize>c) << 2);
        let ch = 0;
        for (; ch < vectorC; ch += 4) {
          const p = base + (<usize>ch << 2);
          let m = lowest;
          let v = v128.load(p); m = v128.bitselect(v, m, f32x4.gt(v, m));
          v = v128.load(p + o1); m = v128.bitselect(v, m, f32x4.gt(v, m));
          v = v128.load(p + o2); m = v128.bitselect(v, m, f32x4.gt(v, m));
          v = v128.load(p + o3); m = v128.bitselect(v, m, f32x4.gt(v, m));
          if (kD == 2) {
            v = v128.load(p + o4); m = v128.bitselect(v, m, f32x4.gt(v, m));
            v = v128.load(p + o5); m = v128.bitselect(v, m, f32x4.gt(v, m));
            v = v128.load(p + o6); m = v128.bitselect(v, m, f32x4.gt(v, m));
            v = v128.load(p + o7); m = v128.bitselect(v, m, f32x4.gt(v, m));
          }
          v128.store(out + (<usize>ch << 2), m);
        }
        for (; ch < c; ch++) {
          const p = base + (<usize>ch << 2);
          let m: f32 = -Infinity;
          const n = kD == 2 ? 8 : 4;
          for (let k = 0; k < n; k++) {
            const v = load<f32>(p + offsetOf(k));
            if (v > m) m = v;
          }
          store<f32>(out + (<usize>ch << 2), m);
        }
        out += <usize>c << 2;
      }
    }
  }
}

@inline function offsetOf(k: i32): usize {
  switch (k) {
    case 0: return 0;
    case 1: return o1;
    case 2: return o2;
    case 3: return o3;
    case 4: return o4;
    case 5: return o5;
    case 6: return o6;
    default: return o7;
  }
}

/** One window's gradient for 4 channels: dy to the winning voxel, 0 to the others. */
@inline function windowGradient4(x: usize, dx: usize, dyv: v128, n: i32, lastOnTies: i32): void {
  let m = f32x4.splat(-Infinity);
  let winner = i32x4.splat(-1);
  for (let k = 0; k < n; k++) {
    const v = v128.load(x + offsetOf(k));
    const takes = lastOnTies ? f32x4.ge(v, m) : f32x4.gt(v, m);
    m = v128.bitselect(v, m, takes);
    winner = v128.bitselect(i32x4.splat(k), winner, takes);
  }
  for (let k = 0; k < n; k++) v128.store(dx + offsetOf(k), v128.and(dyv, i32x4.eq(winner, i32x4.splat(k))));
}

/**
 * dx = dy routed to each window's winning voxel of x, 0 elsewhere in the window. Voxels outside every window (odd
 * sizes) are left as they are: the caller zeroes dx first when there are any.
 */
export function maxPoolHalvingGrad(x: usize, dy: usize, dx: usize, inD: i32, inH: i32, inW: i32, c: i32, kD: i32, lastOnTies: i32, lines: i32, linesPerClaim: i32, counter: usize): void {
  const outD = inD / kD, outH = inH >> 1, outW = inW >> 1;
  setWindow(inH, inW, c);
  const n = kD == 2 ? 8 : 4;
  const vectorC = c & ~3;
  for (;;) {
    const first = claimLines(counter) * linesPerClaim;
    if (first >= lines) break;
    const end = min(lines, first + linesPerClaim);
    for (let line = first; line < end; line++) {
      const b = line / (outD * outH);
      const rem = line - b * outD * outH;
      const od = rem / outH;
      const oh = rem - od * outH;
      let g = dy + ((<usize>line * <usize>outW * <usize>c) << 2);
      for (let ow = 0; ow < outW; ow++) {
        const offset = (<usize>(((b * inD + od * kD) * inH + oh * 2) * inW + ow * 2) * <usize>c) << 2;
        let ch = 0;
        for (; ch < vectorC; ch += 4) {
          const q = offset + (<usize>ch << 2);
          windowGradient4(x + q, dx + q, v128.load(g + (<usize>ch << 2)), n, lastOnTies);
        }
        for (; ch < c; ch++) {
          const q = offset + (<usize>ch << 2);
          let m: f32 = -Infinity;
          let winner = -1;
          for (let k = 0; k < n; k++) {
            const v = load<f32>(x + q + offsetOf(k));
            if (v > m || (lastOnTies && v == m)) {
              m = v;
              winner = k;
            }
          }
          const d = load<f32>(g + (<usize>ch << 2));
          for (let k = 0; k < n; k++) store<f32>(dx + q + offsetOf(k), k == winner ? d : 0);
        }
        g += <usize>c << 2;
      }
    }
  }
}
