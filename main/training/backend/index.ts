// Compute backends for training: selection with a report, the cpu kernel fixes, and tfjs gradient registration.
export {
  selectBackend,
  parseBackendPreference,
  type BackendName,
  type BackendPreference,
  type BackendAttempt,
  type BackendReport,
  type ModuleImporter,
  type SelectBackendOptions,
} from './select.ts';
export { registerCpuKernelFixes, registerConv3dTransposeGradient, originalConv2DBackpropFilter, CONV3D_TRANSPOSE_GRADIENT, CONV2D_FILTER_VIA_3D } from './cpu-kernel-fixes.ts';
export { ensureGradients, gradientsRegistered } from './gradients.ts';
