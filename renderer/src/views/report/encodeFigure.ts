/** Captured RGBA frames as base64 PNG through a canvas, optionally downscaled (for report.export's size budget). */
import { scaledSize } from '../../core/report/figures.ts';
import type { CapturedFigure } from '../../stores/reportFigures.ts';

function canvasOf(width: number, height: number): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  return canvas;
}

export async function encodeFigure(figure: CapturedFigure, scale: number): Promise<string> {
  const full = canvasOf(figure.width, figure.height);
  const context = full.getContext('2d');
  if (!context) throw new Error('this browser cannot draw on a 2D canvas');
  const pixels = new Uint8ClampedArray(figure.rgba.length);
  pixels.set(figure.rgba);
  // WebGL frames may carry alpha < 255 where nothing was drawn; a report figure is opaque.
  for (let i = 3; i < pixels.length; i += 4) pixels[i] = 255;
  context.putImageData(new ImageData(pixels, figure.width, figure.height), 0, 0);
  let canvas = full;
  if (scale < 1) {
    const [w, h] = scaledSize(figure.width, figure.height, scale);
    canvas = canvasOf(w, h);
    const small = canvas.getContext('2d');
    if (!small) throw new Error('this browser cannot draw on a 2D canvas');
    small.imageSmoothingQuality = 'high';
    small.drawImage(full, 0, 0, w, h);
  }
  const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/png'));
  if (!blob) throw new Error('the browser could not encode the figure as PNG');
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}
