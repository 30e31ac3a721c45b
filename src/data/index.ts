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
export {
  Table, castColumn, DEFAULT_MISSING_VALUES, NUMERIC_MAJORITY,
  type Column, type NumericColumn, type CategoricalColumn, type ColumnType, type CellValue, type RawCell,
  type TableOptions, type TableInit, type ReadReport,
} from './table.js';
export { readCsv, readCsvBatches, detectDelimiter, type CsvOptions, type CsvStreamOptions, type CsvBatch } from './csv.js';
export { readJsonl, readJsonlBatches, type JsonlOptions, type JsonlStreamOptions, type JsonlBatch } from './jsonl.js';
export {
  loadImageFolder, listImageFolder, IMAGE_EXTENSIONS,
  type ImageFolder, type ImageFolderOptions, type ImageFolderListing, type ImageFile, type SkippedFile,
} from './image-folder.js';
export {
  inspectData, formatInspection,
  type DataInspection, type TableInspection, type ImageFolderInspection, type IdxInspection,
  type ColumnSummary, type ClassCount, type InspectOptions, type DataFormat,
} from './inspect.js';
export type { ColumnStep, ColumnStepType, ColumnStepJSON } from './preprocessing/step.js';
export { StandardScaler, type StandardScalerOptions } from './preprocessing/standard-scaler.js';
export { MinMaxScaler, type MinMaxScalerOptions } from './preprocessing/min-max-scaler.js';
export { Imputer, type ImputerOptions, type ImputeStrategy } from './preprocessing/imputer.js';
export { OneHotEncoder, type OneHotEncoderOptions, type UnknownCategoryHandling } from './preprocessing/one-hot-encoder.js';
export { OutlierClipper, type OutlierClipperOptions } from './preprocessing/outlier-clipper.js';
export { LabelEncoder, type Labels } from './preprocessing/label-encoder.js';
export { ImageNormalizer, type ImageNormalizerOptions } from './preprocessing/image-normalizer.js';
export { ImageResize, type ImageResizeOptions, type ResizeFit } from './preprocessing/image-resize.js';
export { Pipeline, autoSteps, PIPELINE_FORMAT_VERSION, type PipelineOptions, type PipelineJSON, type InputColumn } from './preprocessing/pipeline.js';
export { preprocessingFromJSON, PREPROCESSOR_TYPES, type Preprocessor } from './preprocessing/registry.js';
