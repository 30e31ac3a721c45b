/** Data: readers, datasets, loaders, splits, augmentation and the bundled Fashion-MNIST subset. */
export { parseIdx, readIdx, loadIdxPair, type IdxPair } from './idx.js';
export { Subset, type Batch, type Dataset } from './dataset.js';
export { TensorDataset } from './tensor-dataset.js';
export { DataLoader, type DataLoaderOptions, type DataLoaderState, type BatchTransform } from './data-loader.js';
export {
  splitDataset, trainTestSplit, kFold,
  type SplitOptions, type TrainTestSplitOptions, type TrainTest, type Fold, type KFoldOptions, type SeedOptions,
} from './split.js';
export {
  randomHorizontalFlip, randomCrop, randomAffine, affineTransform, colorJitter, composeAugmentations, pixelsToFloat,
  type HorizontalFlipOptions, type RandomCropOptions, type RandomAffineOptions, type AffineParams, type ColorJitterOptions,
} from './augment.js';
export {
  loadFashionMnist, FASHION_MNIST_CLASSES, FASHION_MNIST_SUBSET_DIR, type FashionMnistOptions, type FashionMnist,
} from './fashion-mnist.js';
