/**
 * The 3D view's volume rendering. It shows the coarsest pyramid level first (a frame within one small fetch), then
 * refines to the finest level within the voxel budget. Transfer functions follow the preset and the edited opacity
 * curve.
 */
import { onScopeDispose, watch } from 'vue';
import vtkImageData from '@kitware/vtk.js/Common/DataModel/ImageData';
import vtkVolume from '@kitware/vtk.js/Rendering/Core/Volume';
import vtkVolumeMapper from '@kitware/vtk.js/Rendering/Core/VolumeMapper';
import vtkColorTransferFunction from '@kitware/vtk.js/Rendering/Core/ColorTransferFunction';
import vtkPiecewiseFunction from '@kitware/vtk.js/Common/DataModel/PiecewiseFunction';
import type { VolumeBlock } from '../../../ipc/api.ts';
import { applyBlock } from '../data/blockToImage.ts';
import { getLevel } from '../data/blockCache.ts';
import { coarsestLevel, pickLevel } from '../core/slices.ts';
import { defaultPreset, presetColorNodes } from '../core/transferFunctions.ts';
import { useVolumesStore } from '../stores/volumes.ts';
import { useVolumeRenderingStore } from '../stores/volumeRendering.ts';
import { resetFrontCamera } from './frontCamera.ts';
import type { VtkView } from './useVtkView.ts';

export function useVolumeRendering(view: VtkView): { resetCamera(): void } {
  const volumes = useVolumesStore();
  const settings = useVolumeRenderingStore();
  const { renderer, requestRender } = view;

  const image = vtkImageData.newInstance();
  const mapper = vtkVolumeMapper.newInstance();
  mapper.setInputData(image);
  const actor = vtkVolume.newInstance();
  actor.setMapper(mapper);
  const ctf = vtkColorTransferFunction.newInstance();
  const pwf = vtkPiecewiseFunction.newInstance();
  const property = actor.getProperty();
  property.setRGBTransferFunction(0, ctf);
  property.setScalarOpacity(0, pwf);
  property.setInterpolationTypeToLinear();
  property.setAmbient(0.2);
  property.setDiffuse(0.7);
  property.setSpecular(0.3);
  property.setSpecularPower(8);
  actor.setVisibility(false);
  renderer.addVolume(actor);

  const range = (): [number, number] => {
    const m = volumes.image;
    return m ? [m.min, m.max] : [0, 1];
  };

  const updateTransferFunctions = () => {
    const [lo, hi] = range();
    const span = hi > lo ? hi - lo : 1;
    ctf.removeAllPoints();
    for (const n of presetColorNodes(settings.preset, [lo, hi])) ctf.addRGBPoint(n.value, n.rgb[0], n.rgb[1], n.rgb[2]);
    pwf.removeAllPoints();
    for (const p of settings.opacityPoints) pwf.addPoint(lo + p.x * span, p.y);
    property.setShade(settings.shade);
    actor.setVisibility(settings.showVolume && image.getPointData().getScalars() !== null);
    requestRender();
  };

  const resetCamera = () => {
    if (volumes.image) resetFrontCamera(view, volumes.image);
  };

  const show = (block: VolumeBlock, level: number, imageId: string) => {
    applyBlock(image, block);
    const minSpacing = Math.min(...block.spacing);
    mapper.setSampleDistance(minSpacing * 0.7);
    property.setScalarOpacityUnitDistance(0, minSpacing);
    actor.setVisibility(settings.showVolume);
    const first = settings.shownLevel[imageId] === undefined || settings.shownLevel[imageId] < 0;
    settings.shownLevel = { ...settings.shownLevel, [imageId]: level };
    if (first) resetCamera();
    requestRender();
  };

  let openedAt = 0;
  let waitingFirstFrame: string | null = null;
  let waitingRefined: { id: string; level: number } | null = null;
  view.onRendered(() => {
    const now = performance.now();
    if (waitingFirstFrame && settings.shownLevel[waitingFirstFrame] >= 0) {
      settings.firstFrameMs = { ...settings.firstFrameMs, [waitingFirstFrame]: now - openedAt };
      settings.firstFrameAt = { ...settings.firstFrameAt, [waitingFirstFrame]: now };
      waitingFirstFrame = null;
    }
    if (waitingRefined && settings.shownLevel[waitingRefined.id] === waitingRefined.level) {
      settings.refinedFrameAt = { ...settings.refinedFrameAt, [waitingRefined.id]: now };
      waitingRefined = null;
    }
  });

  watch(
    () => volumes.imageId,
    async (id) => {
      actor.setVisibility(false);
      requestRender();
      const m = volumes.image;
      if (!id || !m) return;
      openedAt = performance.now();
      waitingFirstFrame = id;
      settings.shownLevel = { ...settings.shownLevel, [id]: -1 };
      settings.applyPreset(defaultPreset(m.min, m.max), [m.min, m.max]);
      const coarse = coarsestLevel(m.levels);
      const fine = pickLevel(m.levels, settings.maxVoxels3d);
      waitingRefined = { id, level: fine };
      try {
        for (const level of coarse === fine ? [fine] : [coarse, fine]) {
          const block = await getLevel(id, level);
          if (volumes.imageId !== id) return;
          show(block, level, id);
        }
      } catch (error) {
        volumes.error = error instanceof Error ? error.message : String(error);
      }
    },
    { immediate: true },
  );

  watch(() => [settings.preset, settings.opacityPoints, settings.shade, settings.showVolume, volumes.imageId], updateTransferFunctions, {
    deep: true,
    immediate: true,
  });

  onScopeDispose(() => {
    actor.delete();
    mapper.delete();
    image.delete();
    ctf.delete();
    pwf.delete();
  });

  return { resetCamera };
}
