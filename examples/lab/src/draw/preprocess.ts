// A drawing becomes an MNIST-like input the way the MNIST digits were made: the ink's bounding box is scaled
// to fit 20×20 (keeping its aspect ratio), placed in a 28×28 field, and shifted so that its centre of mass is
// the field's centre.

/** Converts a grayscale image (ink in [0, 1], row-major `width × height`) to 784 values in [0, 1]. */
export function toMnistInput(ink: Float32Array, width: number, height: number): Float32Array {
  const out = new Float32Array(784);
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x]! > 0.05) {
        x0 = Math.min(x0, x);
        x1 = Math.max(x1, x);
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y);
      }
    }
  }
  if (x1 < 0) return out;
  const side = Math.max(x1 - x0 + 1, y1 - y0 + 1);
  const scale = 20 / side;
  // The box, scaled, centred in the 28×28 field; each target pixel averages a 4×4 grid of source samples.
  const offX = 14 - ((x1 - x0 + 1) * scale) / 2;
  const offY = 14 - ((y1 - y0 + 1) * scale) / 2;
  const scaled = new Float32Array(784);
  const S = 4;
  for (let ty = 0; ty < 28; ty++) {
    for (let tx = 0; tx < 28; tx++) {
      let sum = 0;
      for (let sy = 0; sy < S; sy++) {
        for (let sx = 0; sx < S; sx++) {
          const u = x0 + (tx + (sx + 0.5) / S - offX) / scale;
          const v = y0 + (ty + (sy + 0.5) / S - offY) / scale;
          const ix = Math.floor(u);
          const iy = Math.floor(v);
          if (ix >= x0 && ix <= x1 && iy >= y0 && iy <= y1) sum += ink[iy * width + ix]!;
        }
      }
      scaled[ty * 28 + tx] = sum / (S * S);
    }
  }
  let mass = 0;
  let mx = 0;
  let my = 0;
  for (let y = 0; y < 28; y++) {
    for (let x = 0; x < 28; x++) {
      const m = scaled[y * 28 + x]!;
      mass += m;
      mx += m * x;
      my += m * y;
    }
  }
  const dx = Math.round(13.5 - mx / mass);
  const dy = Math.round(13.5 - my / mass);
  for (let y = 0; y < 28; y++) {
    for (let x = 0; x < 28; x++) {
      const sx = x - dx;
      const sy = y - dy;
      if (sx >= 0 && sx < 28 && sy >= 0 && sy < 28) out[y * 28 + x] = Math.min(1, scaled[sy * 28 + sx]!);
    }
  }
  return out;
}
