/**
 * What a prediction job is asked to do, validated with zod (CLI, worker thread and the engine's job manager share it).
 * Kept free of heavy imports so that the engine can register the job kind without loading ONNX Runtime.
 */
import { z } from 'zod';

const vec3 = z.tuple([z.number().int().min(1), z.number().int().min(1), z.number().int().min(1)]);

export const PredictRequestSchema = z
  .strictObject({
    /** ONNX model files; may be left out for a project with the runId of a trained run (its model is exported then). */
    models: z.array(z.string().min(1)).min(1).optional(),
    providers: z.array(z.string()).optional(),
    input: z.string().min(1).optional(),
    project: z.string().min(1).optional(),
    /** File or folder for a file input; ignored for a project (outputs go under runs/<runId>/predictions). */
    output: z.string().min(1).optional(),
    cases: z.array(z.string()).optional(),
    runId: z.string().regex(/^[\w.-]+$/, 'letters, digits, _ . - only').optional(),
    roi: vec3.optional(),
    overlap: z.number().min(0).lt(1).default(0.5),
    blend: z.enum(['gaussian', 'constant']).default('gaussian'),
    batchSize: z.number().int().min(1).default(2),
    tta: z.boolean().default(false),
    uncertainty: z.enum(['none', 'mc', 'ensemble', 'tta']).default('none'),
    mcPasses: z.number().int().min(2).optional(),
    sliceAxis: z.enum(['x', 'y', 'z']).optional(),
    memoryBudgetMb: z.number().positive().default(1024),
    postprocess: z.string().optional(),
    /** Read a file whole even when it could be streamed. */
    inMemory: z.boolean().default(false),
  })
  .refine((r) => (r.input === undefined) !== (r.project === undefined), { message: 'give exactly one of input or project' })
  .refine((r) => r.project !== undefined || r.output !== undefined, { message: 'output is required with an input file', path: ['output'] })
  .refine((r) => r.models !== undefined || (r.project !== undefined && r.runId !== undefined), {
    message: 'give model files, or a project and the runId of a trained run',
    path: ['models'],
  });
export type PredictRequest = z.input<typeof PredictRequestSchema>;
