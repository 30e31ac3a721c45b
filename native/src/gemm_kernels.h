// The kernels of each instruction-set family: the GEMM micro-kernel with the cache blocking that suits it,
// and the routines around it that are worth writing per family (few-row products, im2col panels, weight
// panels, 2 × 2 max pooling).
#pragma once

#include <cstdint>

#include "cpu.h"
#include "x86.h"

namespace kiln {

// What a micro-kernel applies to a finished tile as it stores it: rowBias[r] added to row r (a null bias adds
// nothing), then ReLU when `relu` (NaN kept, −0 made +0, as the unary relu kernel).
struct TileEpilogue {
  const float* rowBias;
  bool relu;
};

// Computes c[0:rows, 0:cols] = epilogue(alpha · (a · b) + beta · c) for one register tile, where `a` is an
// mr-row panel of packed A and `b` an nr-column panel of packed B, both stored k-major (kc × mr and kc × nr,
// zero-padded past the matrix edge). beta = 0 writes c without reading it, so NaN there is ignored. A null
// epilogue stores the product as it is.
using MicroKernelFn = void (*)(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int rows, int cols,
                               float alpha, float beta, const TileEpilogue* epilogue);

// For i < m ≤ kRowDotsMaxRows and j < n: c[i · ldc + j] = alpha · Σ_p a[i · lda + p] · b[j · ldb + p] + beta · c[…]
// (beta = 0 writes c without reading it). A product of a few rows by a right operand stored transposed —
// rows of B contiguous along k, as a Linear layer's weights are — that reads B once, in place: packing B
// would cost more than the whole product.
using RowDotsFn = void (*)(int m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb,
                           float* c, int64_t ldc, float alpha, float beta);

constexpr int kRowDotsMaxRows = 4;

// A stretch of one row of a B panel copied from the input: `length` floats read from source + src (every
// srcStride-th float) into columns [dst, dst + length).
struct PanelRun {
  int32_t src;
  int32_t dst;
  int32_t length;
};

// Writes rows [0, channels · taps) of one nr-column B panel (row i at panel + i · nr): row i is zero but for
// runs [runStart[t], runStart[t + 1]) of its tap t = i % taps, read from the plane planes + (i / taps) ·
// planeStride. This is im2col straight into the micro-kernel's layout: a convolution lists once per call,
// for each column panel and kernel tap, which input positions land where.
using GatherPanelFn = void (*)(const float* planes, int64_t planeStride, int64_t srcStride, int64_t channels,
                               int taps, const PanelRun* runs, const int32_t* runStart, int nr, float* panel);

// Copies rows [0, rows) × columns [0, depth) of a row-major matrix (leading dimension ld) into panels of
// `width` rows stored k-major (depth × width each, rows past `rows` zero): the panel of rows [i · width, …)
// at depth p starts at dst + (i · depth + p) · width. This transposition is how packed panels are made from
// an untransposed A (width mr), from a transposed B — a Linear layer's weights — (width nr) and from a
// convolution's weights.
using PackRowsFn = void (*)(const float* src, int64_t ld, int64_t rows, int64_t depth, int width, float* dst);

// Max pooling of 2 × 2 windows at stride 2, without positions: for each of `planes` planes (inW floats a row,
// a plane every inPlane floats) outH rows of outW maxima, each plane's at out + plane · outPlane. Window
// (oh, ow) folds top[2ow], top[2ow + 1], bottom[2ow], bottom[2ow + 1] in that order, a later value winning
// when it is greater or NaN: pool2d's rule, so results match it bit for bit.
using MaxPoolPairsFn = void (*)(const float* x, int64_t planes, int64_t inPlane, int64_t inW, int64_t outH,
                                int64_t outW, float* out, int64_t outPlane);

// The portable MaxPoolPairsFn.
void maxPoolPairsPortable(const float* x, int64_t planes, int64_t inPlane, int64_t inW, int64_t outH, int64_t outW,
                          float* out, int64_t outPlane);

// One image of a direct convolution with few taps (the input channels times the kernel taps), at stride 1
// without dilation, over an input already padded: output (o, oh, ow) = act(bias[o] + Σ_t w[o · taps + t] ·
// x[tapOffsets[t] + oh · inW + ow]), written as [outChannels, outH, outW] or, with poolPairs, max-pooled
// 2 × 2 at stride 2 into [outChannels, outH / 2, outW / 2] with pool2d's rule. A first layer over one or
// three channels has too few taps for the GEMM to pay off: its output tiles are stored after a handful of
// multiply-adds, and its im2col panels cost as much as the products.
struct DirectConvImage {
  const float* x;
  int64_t inW;
  const int32_t* tapOffsets;
  int taps;
  const float* w;
  const float* bias;
  int64_t outChannels, outH, outW;
  bool relu;
  bool poolPairs;
  float* out;
};

// Computes one image; a family without a direct kernel has none (null), and convolutions take the GEMM.
using DirectConvFn = void (*)(const DirectConvImage& image);

// A 3 × 3 convolution at stride 1 of a batch of unpadded images, with its bias and activation, then 2 × 2 max
// pooling at stride 2, for inference, by Winograd's F(2 × 2, 3 × 3): each pooling window is one output tile,
// computed from a 4 × 4 input tile with 16 products per channel pair instead of 36 — the products being 16
// GEMMs, one per point of the transformed tile. Tile t of the batch is pooled output (n, ph, pw) with
// t = (n · pooledH + ph) · pooledW + pw; output rows and columns the pooling leaves out are not computed.
struct WinogradPooling {
  const float* x;
  int64_t inChannels, inH, inW;
  // From WinogradWeightsFn.
  const float* weights;
  const float* bias;
  bool relu;
  int64_t outChannels, pooledH, pooledW;
  float* out;
};

struct MicroKernel;

// Transforms w[outChannels, inChannels, 3, 3] for WinogradTilesFn into `packed` (winogradWeightsSize
// floats): for each of the 16 tile points, a matrix outChannels × inChannels in the micro-kernel's A panels.
using WinogradWeightsFn = void (*)(const MicroKernel& kernel, const float* w, int64_t outChannels,
                                   int64_t inChannels, float* packed);

// Computes tiles [first, last) of a batch, first a multiple of the micro-kernel's nr (the tiles of whole B
// panels, which threads may share out).
using WinogradTilesFn = void (*)(const MicroKernel& kernel, const WinogradPooling& conv, int64_t first,
                                 int64_t last);

// The portable PackRowsFn.
void packRowsPortable(const float* src, int64_t ld, int64_t rows, int64_t depth, int width, float* dst);

// The portable GatherPanelFn.
void gatherPanelPortable(const float* planes, int64_t planeStride, int64_t srcStride, int64_t channels, int taps,
                         const PanelRun* runs, const int32_t* runStart, int nr, float* panel);

struct MicroKernel {
  Isa isa;
  // Register tile: rows and columns of C one call produces.
  int mr;
  int nr;
  // Cache blocks: a kc × nc block of packed B and an mc × kc block of packed A are reused from cache.
  int64_t mc;
  int64_t kc;
  int64_t nc;
  MicroKernelFn run;
  RowDotsFn rowDots;
  GatherPanelFn gatherPanel;
  PackRowsFn packRows;
  MaxPoolPairsFn maxPoolPairs;
  DirectConvFn directConv;
  // Winograd convolution with pooling; null in a family without it (the GEMM path is used).
  WinogradWeightsFn winogradWeights;
  WinogradTilesFn winogradTiles;
};

// Floats of the transformed weights of a Winograd convolution.
int64_t winogradWeightsSize(const MicroKernel& kernel, int64_t outChannels, int64_t inChannels);

const MicroKernel& scalarMicroKernel();
#if KILN_X86_KERNELS
const MicroKernel& avx2MicroKernel();
const MicroKernel& avx512MicroKernel();

// The AVX-512 family's Winograd routines (winograd_avx512.cc).
void winogradWeightsAvx512(const MicroKernel& kernel, const float* w, int64_t outChannels, int64_t inChannels,
                           float* packed);
void winogradTilesAvx512(const MicroKernel& kernel, const WinogradPooling& conv, int64_t first, int64_t last);
#endif

// The kernel of a supported family.
const MicroKernel& microKernelFor(Isa isa);

}  // namespace kiln
