/**
 * One vtk.js render window bound to a DOM container. Every vtk object here is created with the calling component's
 * effect scope and deleted when it is disposed, after the cleanups of the composables that use the view (so those
 * may remove their actors as usual). Renders are coalesced to one per animation frame.
 */
import { onMounted, onScopeDispose, type Ref } from 'vue';
import '@kitware/vtk.js/Rendering/Profiles/Volume';
import '@kitware/vtk.js/Rendering/Profiles/Geometry';
import vtkRenderWindow from '@kitware/vtk.js/Rendering/Core/RenderWindow';
import vtkRenderer from '@kitware/vtk.js/Rendering/Core/Renderer';
import vtkOpenGLRenderWindow from '@kitware/vtk.js/Rendering/OpenGL/RenderWindow';

export interface CapturedPixels {
  width: number;
  height: number;
  /** RGBA, top row first. */
  rgba: Uint8Array;
}

export interface VtkView {
  renderWindow: vtkRenderWindow;
  renderer: vtkRenderer;
  openGL: vtkOpenGLRenderWindow;
  requestRender(): void;
  /** Renders now and reads the frame back (before the browser clears the drawing buffer). */
  capture(): CapturedPixels;
  /** Canvas size in device pixels. */
  size(): [number, number];
  /** Called after each render (first-frame timing). */
  onRendered(callback: () => void): void;
  /** Called after the canvas changed size (before the render it triggers). */
  onResize(callback: () => void): void;
}

export function useVtkView(container: Ref<HTMLElement | null>, background: [number, number, number] = [0, 0, 0]): VtkView {
  const renderWindow = vtkRenderWindow.newInstance();
  const renderer = vtkRenderer.newInstance({ background });
  renderWindow.addRenderer(renderer);
  const openGL = vtkOpenGLRenderWindow.newInstance();
  renderWindow.addView(openGL);

  let frame = 0;
  let disposed = false;
  let observer: ResizeObserver | null = null;
  const renderedCallbacks: (() => void)[] = [];
  const resizeCallbacks: (() => void)[] = [];

  const renderNow = () => {
    frame = 0;
    const [w, h] = openGL.getSize();
    if (w < 2 || h < 2) return;
    renderWindow.render();
    for (const cb of renderedCallbacks) cb();
  };

  const requestRender = () => {
    if (frame === 0 && !disposed) frame = requestAnimationFrame(renderNow);
  };

  const resize = () => {
    const el = container.value;
    if (!el) return;
    const { width, height } = el.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.floor(width * dpr));
    const h = Math.max(1, Math.floor(height * dpr));
    const [cw, ch] = openGL.getSize();
    if (w !== cw || h !== ch) {
      openGL.setSize(w, h);
      for (const cb of resizeCallbacks) cb();
      requestRender();
    }
  };

  onMounted(() => {
    const el = container.value;
    if (!el) return;
    openGL.setContainer(el);
    resize();
    observer = new ResizeObserver(resize);
    observer.observe(el);
  });

  onScopeDispose(() => {
    disposed = true;
    if (frame) cancelAnimationFrame(frame);
    frame = 0;
    observer?.disconnect();
    renderedCallbacks.length = 0;
    resizeCallbacks.length = 0;
    // The view's users registered their cleanups after this one (they call useVtkView first), and those remove their
    // actors from the renderer: delete it once they have run, at the end of this dispose.
    queueMicrotask(() => {
      openGL.setContainer(null);
      renderWindow.removeView(openGL);
      openGL.delete();
      renderer.delete();
      renderWindow.delete();
    });
  });

  return {
    renderWindow,
    renderer,
    openGL,
    requestRender,
    capture(): CapturedPixels {
      if (frame) cancelAnimationFrame(frame);
      frame = 0;
      renderWindow.render();
      const [width, height] = openGL.getSize();
      const raw = openGL.getPixelData(0, 0, width - 1, height - 1);
      const rgba = new Uint8Array(width * height * 4);
      const row = width * 4;
      for (let y = 0; y < height; y++) rgba.set(raw.subarray((height - 1 - y) * row, (height - y) * row), y * row);
      return { width, height, rgba };
    },
    size: () => openGL.getSize() as [number, number],
    onRendered(callback) {
      renderedCallbacks.push(callback);
    },
    onResize(callback) {
      resizeCallbacks.push(callback);
    },
  };
}
