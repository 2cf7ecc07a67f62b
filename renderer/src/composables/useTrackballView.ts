/**
 * A 3D view's mouse interaction and report capture: a trackball camera (rotate, pan, zoom) on the view's container,
 * bound once it is mounted, and the view's capture registered under `name` for report figures; both undone when the
 * calling component's effect scope ends.
 */
import { onMounted, onScopeDispose, type Ref } from 'vue';
import vtkRenderWindowInteractor from '@kitware/vtk.js/Rendering/Core/RenderWindowInteractor';
import vtkInteractorStyleTrackballCamera from '@kitware/vtk.js/Interaction/Style/InteractorStyleTrackballCamera';
import { views } from '../data/viewRegistry.ts';
import type { VtkView } from './useVtkView.ts';

export function useTrackballView(container: Ref<HTMLElement | null>, vtkView: VtkView, name: string): void {
  const interactor = vtkRenderWindowInteractor.newInstance();
  const style = vtkInteractorStyleTrackballCamera.newInstance();
  interactor.setView(vtkView.openGL);
  interactor.setInteractorStyle(style);
  onMounted(() => {
    interactor.initialize();
    if (container.value) interactor.bindEvents(container.value);
  });
  views.set(name, { capture: vtkView.capture });
  onScopeDispose(() => {
    views.delete(name);
    interactor.unbindEvents();
    interactor.delete();
    style.delete();
  });
}
