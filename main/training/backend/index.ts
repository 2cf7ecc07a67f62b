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
export { registerFastConvKernels, fastConvKernelsActive, runReplacedKernel, FAST_CONV_KERNELS, FAST_CONV_KERNEL_NAMES, type FastConvKernelName } from './fast-conv-kernels.ts';
export {
  registerFastElementwiseKernels,
  fastElementwiseKernelsActive,
  runReplacedElementwiseKernel,
  FAST_ELEMENTWISE_KERNELS,
  FAST_ELEMENTWISE_KERNEL_NAMES,
  type FastElementwiseKernelName,
} from './fast-elementwise-kernels.ts';
export { registerFastPoolKernels, fastPoolKernelsActive, runReplacedPoolKernel, FAST_POOL_KERNELS, FAST_POOL_KERNEL_NAMES, type FastPoolKernelName } from './fast-pool-kernels.ts';
export { registerFastLeakyReluGradient, fastLeakyReluGradientActive, FAST_LEAKY_RELU_GRADIENT } from './leaky-relu-gradient.ts';
export { groupNorm, groupNormReference } from './fused-group-norm.ts';
export { ensureGradients, gradientsRegistered } from './gradients.ts';
