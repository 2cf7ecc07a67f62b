/**
 * Built-in job kinds, registered on import (main/services/engine.ts imports this file). A feature adds its kinds by
 * calling registerJobKind (see ../jobs.ts) in a module imported here.
 */
import { registerJobKind } from '../jobs.ts';
import { ImportJobParams } from './import.ts';
import { StatisticsJobParams } from './statistics.ts';
import '../../inference/jobKind.ts';

registerJobKind('statistics', StatisticsJobParams, {
  module: new URL('./statistics.ts', import.meta.url),
  export: 'run',
  description: "recompute a project's per-domain intensity statistics",
});

registerJobKind('import', ImportJobParams, {
  module: new URL('./import.ts', import.meta.url),
  export: 'run',
  description: 'import a case (images and an optional label) into a project',
});
