export { quantizeStatic, quantizeDynamic } from './quantize.js';
export { calibrate, CALIBRATION_METHODS, type CalibrationMethod, type CalibrationOptions, type Range } from './calibrate.js';
export { planQuantization, type PlannedStage, type QuantizationPlan } from './plan.js';
export { convertModel } from './convert.js';
export { foldBatchNorm } from './fold.js';
export { affineQParams, symmetricScales, quantizeWeights, type AffineQParams } from './qparams.js';
export { fakeQuantize, fakeQuantizePerChannel } from '../../ops/fake-quantize.js';
export { prepareQat, convertQat, QatModel, type QatOptions } from './qat.js';
export { MovingAverageMinMaxObserver } from './qat-observer.js';
