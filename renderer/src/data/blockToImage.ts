/** Copies a voxel block's grid and voxels into a vtkImageData (reused across blocks to keep GPU resources). */
import vtkImageData from '@kitware/vtk.js/Common/DataModel/ImageData';
import vtkDataArray from '@kitware/vtk.js/Common/Core/DataArray';
import type { VolumeBlock } from '../../../ipc/api.ts';
import { toVtkDirection } from '../core/geometry.ts';

type GpuArray = Uint8Array | Int8Array | Uint16Array | Int16Array | Float32Array;

/** WebGL2 has no 32-bit integer or 64-bit float textures that vtk.js samples linearly: those become float32. */
export function gpuFriendly(data: VolumeBlock['data']): GpuArray {
  if (data instanceof Float64Array || data instanceof Int32Array || data instanceof Uint32Array) return Float32Array.from(data);
  return data;
}

export function applyBlock(image: vtkImageData, block: VolumeBlock, scalars: ArrayLike<number> = gpuFriendly(block.data), components = block.components): void {
  image.setDimensions(block.shape[0], block.shape[1], block.shape[2]);
  image.setSpacing([block.spacing[0], block.spacing[1], block.spacing[2]]);
  image.setOrigin([block.origin[0], block.origin[1], block.origin[2]]);
  image.setDirection(Float32Array.from(toVtkDirection(block.direction)));
  image.getPointData().setScalars(
    vtkDataArray.newInstance({ name: 'scalars', numberOfComponents: components, values: scalars as GpuArray }),
  );
  image.modified();
}
