/**
 * Reference (hand-derived) backprop: the delta rule and the Jacobian form written out with plain loops and
 * matmul, independent of the autograd, so that tests and teaching material can put the two side by side.
 */
export {
  referenceActivations,
  referenceLosses,
  referenceLoss,
  type ReferenceActivation,
  type ReferenceLoss,
  type ReferenceMlp,
  type LayerGradients,
  type BackpropResult,
} from './mlp.js';
export { deltaRuleGradients, type DeltaRuleOptions } from './delta-rule.js';
export { jacobianGradients, activationJacobian } from './jacobian.js';
export { momentumUpdate, type MomentumOptions } from './momentum.js';
export { numericGradients, gradientError, maxAbsDifference, randomReferenceMlp, type ReferenceLossFn } from './check.js';
export { explainBackprop, formatExplanation, toReferenceMlp, type BackpropExplanation, type LayerExplanation } from './explain.js';
