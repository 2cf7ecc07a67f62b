/** Networks (as serialisable specs), their tfjs execution, weights files and model cards. */
export * from './spec.ts';
export * from './unet.ts';
export * from './forward.ts';
export * from './weights.ts';
export * from './card.ts';
