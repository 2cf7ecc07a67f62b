/** Post-processing of predicted label maps: connected components, clean-up steps, phase adjacency constraints. */
export { connectedComponents, backwardOffsets, type Components, type Connectivity } from './components.ts';
export { keepLargest, removeSmall, fillHoles, enforceAdjacency, countConflicts, classCounts, type StepReport, type AdjacencyOptions } from './operations.ts';
export {
  PostprocessConfigSchema,
  PostprocessStepSchema,
  parsePostprocessConfig,
  loadPostprocessConfig,
  runPostprocess,
  Postprocessor,
  adjacencyMatrix,
  type PostprocessConfig,
  type PostprocessStep,
  type PostprocessInput,
} from './config.ts';
