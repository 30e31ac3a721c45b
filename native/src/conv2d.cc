#include "conv2d.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "aligned_buffer.h"
#include "epilogue.h"
#include "gemm.h"
#include "pool2d.h"

namespace kiln {
namespace {

// Sizes derived from a geometry that every entry point needs.
struct Layout {
  int64_t cinG;      // input channels per group
  int64_t coutG;     // output channels per group
  int64_t kSize;     // rows of the column matrix: cinG · kernelH · kernelW
  int64_t inPlane;   // inH · inW
  int64_t outPlane;  // outH · outW
  bool direct;       // the column matrix of an image is the input itself
};

Layout layoutOf(const ConvGeometry& g) {
  const bool direct = g.kernelH == 1 && g.kernelW == 1 && g.strideH == 1 && g.strideW == 1 && g.padTop == 0 &&
                      g.padLeft == 0 && g.outH == g.inH && g.outW == g.inW;
  const int64_t cinG = g.inChannels / g.groups;
  return Layout{cinG, g.outChannels / g.groups, cinG * g.kernelH * g.kernelW, g.inH * g.inW, g.outH * g.outW, direct};
}

// Work is spread over images and groups when there are enough of them to keep every thread busy;
// otherwise each GEMM is spread over the threads instead.
bool splitOverImages(const ThreadPool& pool, int64_t tasks) {
  return pool.threads() > 1 && !ThreadPool::insideTask() && tasks >= 2 * pool.threads();
}

// The column matrix of the calling thread, reused across calls.
float* columnScratch(size_t size) {
  static thread_local AlignedBuffer buffer;
  return buffer.reserve(size);
}

// Output positions [start, end) along one axis whose input coordinate o · stride − pad + offset lies in
// [0, size).
void validRange(int64_t size, int64_t stride, int64_t pad, int64_t offset, int64_t outSize, int64_t* start,
                int64_t* end) {
  const int64_t shift = pad - offset;
  // Ceiling and floor division that are right for negative numerators too.
  const auto ceilDiv = [](int64_t a, int64_t b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); };
  const auto floorDiv = [](int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); };
  *start = std::min(outSize, std::max<int64_t>(0, ceilDiv(shift, stride)));
  *end = std::max(*start, std::min(outSize, floorDiv(size - 1 + shift, stride) + 1));
}

// For each kernel row (kh) and column (kw), the output rows and columns whose tap lands inside the input;
// the others read padding. Worked out once per call: the divisions would otherwise dominate im2col.
struct TapRanges {
  std::vector<int64_t> rowStart, rowEnd, colStart, colEnd;
};

TapRanges tapRanges(const ConvGeometry& g) {
  TapRanges r{std::vector<int64_t>(g.kernelH), std::vector<int64_t>(g.kernelH), std::vector<int64_t>(g.kernelW),
              std::vector<int64_t>(g.kernelW)};
  for (int64_t kh = 0; kh < g.kernelH; ++kh) {
    validRange(g.inH, g.strideH, g.padTop, kh * g.dilationH, g.outH, &r.rowStart[kh], &r.rowEnd[kh]);
  }
  for (int64_t kw = 0; kw < g.kernelW; ++kw) {
    validRange(g.inW, g.strideW, g.padLeft, kw * g.dilationW, g.outW, &r.colStart[kw], &r.colEnd[kw]);
  }
  return r;
}

// Unfolds cinG channels of one image and group into col[kSize × outPlane], zeros where taps hit padding.
void im2col(const ConvGeometry& g, const TapRanges& taps, int64_t cinG, const float* x, float* col) {
  const int64_t outPlane = g.outH * g.outW;
  for (int64_t c = 0; c < cinG; ++c) {
    const float* plane = x + c * g.inH * g.inW;
    for (int64_t kh = 0; kh < g.kernelH; ++kh) {
      const int64_t ohStart = taps.rowStart[kh], ohEnd = taps.rowEnd[kh];
      for (int64_t kw = 0; kw < g.kernelW; ++kw, col += outPlane) {
        const int64_t owStart = taps.colStart[kw], owEnd = taps.colEnd[kw];
        const bool padded = owStart > 0 || owEnd < g.outW;
        std::fill(col, col + ohStart * g.outW, 0.0f);
        for (int64_t oh = ohStart; oh < ohEnd; ++oh) {
          float* dst = col + oh * g.outW;
          const float* src = plane + (oh * g.strideH - g.padTop + kh * g.dilationH) * g.inW - g.padLeft + kw * g.dilationW;
          if (padded) std::fill(dst, dst + owStart, 0.0f);
          if (g.strideW == 1) {
            std::copy(src + owStart, src + owEnd, dst + owStart);
          } else {
            for (int64_t ow = owStart; ow < owEnd; ++ow) dst[ow] = src[ow * g.strideW];
          }
          if (padded) std::fill(dst + owEnd, dst + g.outW, 0.0f);
        }
        std::fill(col + ohEnd * g.outW, col + outPlane, 0.0f);
      }
    }
  }
}

// Adjoint of im2col: overwrites cinG channels of dx with the sums of their column entries.
void col2im(const ConvGeometry& g, const TapRanges& taps, int64_t cinG, const float* col, float* dx) {
  std::fill(dx, dx + cinG * g.inH * g.inW, 0.0f);
  for (int64_t c = 0; c < cinG; ++c) {
    float* plane = dx + c * g.inH * g.inW;
    for (int64_t kh = 0; kh < g.kernelH; ++kh) {
      for (int64_t kw = 0; kw < g.kernelW; ++kw, col += g.outH * g.outW) {
        const int64_t owStart = taps.colStart[kw], owEnd = taps.colEnd[kw];
        for (int64_t oh = taps.rowStart[kh]; oh < taps.rowEnd[kh]; ++oh) {
          const float* src = col + oh * g.outW;
          float* dst = plane + (oh * g.strideH - g.padTop + kh * g.dilationH) * g.inW - g.padLeft + kw * g.dilationW;
          for (int64_t ow = owStart; ow < owEnd; ++ow) dst[ow * g.strideW] += src[ow];
        }
      }
    }
  }
}

// Below this many multiply-adds a convolution runs on the calling thread: waking workers costs more.
constexpr int64_t kParallelMinWork = int64_t{1} << 20;

// The panels of a single image are only shared out from this many multiply-adds: below it, the second
// thread spends as long fetching the weights and the input into its own caches as it saves (a 3 × 3
// convolution of 32 channels into 64 over 13 × 13 is 2.2M and runs slower on two threads than on one).
constexpr int64_t kSplitImageMinWork = int64_t{1} << 23;

// The packed weights of the calling thread, reused across calls; workers only read them.
float* weightScratch(size_t size) {
  static thread_local AlignedBuffer buffer;
  return buffer.reserve(size);
}

// The depth of one pass of the micro-kernel over a column panel: the kernel's cache block, stretched by up
// to half to avoid a short last block (a 3 × 3 kernel over 32 channels has depth 288), and otherwise split
// into equal blocks.
int64_t depthBlock(const MicroKernel& kernel, int64_t depth) {
  if (depth <= kernel.kc + kernel.kc / 2) return depth;
  const int64_t blocks = (depth + kernel.kc - 1) / kernel.kc;
  return (depth + blocks - 1) / blocks;
}

// Where the input lands in each column panel, for every kernel tap: the runs of gatherPanel. They depend
// on the geometry only, so one plan serves every image, group and channel of a call.
struct PanelPlan {
  std::vector<PanelRun> runs;
  // Runs of panel q, tap t are [runStart[q · taps + t], runStart[q · taps + t + 1]).
  std::vector<int32_t> runStart;
};

PanelPlan planPanels(const ConvGeometry& g, int nr) {
  const TapRanges taps = tapRanges(g);
  PanelPlan plan;
  const int64_t outPlane = g.outH * g.outW;
  for (int64_t j0 = 0; j0 < outPlane; j0 += nr) {
    const int64_t j1 = std::min<int64_t>(j0 + nr, outPlane);
    for (int64_t kh = 0; kh < g.kernelH; ++kh) {
      for (int64_t kw = 0; kw < g.kernelW; ++kw) {
        plan.runStart.push_back(static_cast<int32_t>(plan.runs.size()));
        // The panel's columns cut at output row ends; within a row, the valid columns read the input.
        for (int64_t j = j0; j < j1;) {
          const int64_t oh = j / g.outW;
          const int64_t ow = j % g.outW;
          const int64_t end = ow + std::min(g.outW - ow, j1 - j);
          if (oh >= taps.rowStart[kh] && oh < taps.rowEnd[kh]) {
            const int64_t va = std::min(end, std::max(ow, taps.colStart[kw]));
            const int64_t vb = std::max(va, std::min(end, taps.colEnd[kw]));
            if (va < vb) {
              const int64_t src = (oh * g.strideH - g.padTop + kh * g.dilationH) * g.inW +
                                  (va * g.strideW - g.padLeft + kw * g.dilationW);
              plan.runs.push_back(PanelRun{static_cast<int32_t>(src), static_cast<int32_t>(j - j0 + (va - ow)),
                                           static_cast<int32_t>(vb - va)});
            }
          }
          j += end - ow;
        }
      }
    }
  }
  plan.runStart.push_back(static_cast<int32_t>(plan.runs.size()));
  return plan;
}

// The panel plan for a geometry (its batch aside), from the plans this thread made last: making one costs as
// much as convolving a small image. A reference stays valid until this thread asks for kPlans other plans.
const PanelPlan& cachedPlan(const ConvGeometry& g, int nr) {
  constexpr int kPlans = 8;
  struct Entry {
    ConvGeometry g;
    int nr = 0;
    PanelPlan plan;
  };
  static thread_local Entry cache[kPlans];
  static thread_local int next = 0;
  ConvGeometry key = g;
  key.batch = 0;
  for (Entry& entry : cache) {
    if (entry.nr == nr && std::memcmp(&entry.g, &key, sizeof key) == 0) return entry.plan;
  }
  Entry& entry = cache[next];
  next = (next + 1) % kPlans;
  entry = Entry{key, nr, planPanels(g, nr)};
  return entry.plan;
}

// The output of one image, for a convolution whose pooling is fused in, and the outputs of a whole batch
// when there are too few images to share out; reused across calls.
float* imageScratch(size_t size) {
  static thread_local AlignedBuffer buffer;
  return buffer.reserve(size);
}

float* fusedScratch(size_t size) {
  static thread_local AlignedBuffer buffer;
  return buffer.reserve(size);
}

// The output of a convolution without input channels: the bias alone, activated.
void biasOnly(const ConvGeometry& g, const float* bias, Activation activation, float* out) {
  const int64_t outPlane = g.outH * g.outW;
  for (int64_t n = 0; n < g.batch; ++n) {
    float* image = out + n * g.outChannels * outPlane;
    std::fill(image, image + g.outChannels * outPlane, 0.0f);
    applyEpilogue(image, outPlane, g.outChannels, outPlane, bias, nullptr, activation);
  }
}

// The forward pass of one call, prepared once: the weights packed (on the calling thread, into its
// scratch) and the panel plan made. Then every work item — one nr-wide column panel of one group of an
// image — can be computed by any thread: its columns are unfolded straight into the micro-kernel's layout,
// multiplied by every weight panel, and finished (bias, activation) as the tiles are stored.
class ForwardPass {
 public:
  ForwardPass(const MicroKernel& kernel, const ConvGeometry& g, const float* w, const float* bias,
              Activation activation)
      : kernel_(kernel),
        g_(g),
        l_(layoutOf(g)),
        bias_(bias),
        relu_(activation == Activation::kRelu),
        rowPanels_((l_.coutG + kernel.mr - 1) / kernel.mr),
        columnPanels_((l_.outPlane + kernel.nr - 1) / kernel.nr),
        groupPanelsSize_(rowPanels_ * l_.kSize * kernel.mr),
        depthBlock_(depthBlock(kernel, l_.kSize)),
        taps_(g.kernelH * g.kernelW),
        plan_(cachedPlan(g, kernel.nr)) {
    packedW_ = weightScratch(static_cast<size_t>(g.groups * groupPanelsSize_));
    for (int64_t grp = 0; grp < g.groups; ++grp) {
      kernel.packRows(w + grp * l_.coutG * l_.kSize, l_.kSize, l_.coutG, l_.kSize, kernel.mr,
                      packedW_ + grp * groupPanelsSize_);
    }
  }

  int64_t itemsPerImage() const { return g_.groups * columnPanels_; }

  // Output rows of an image complete once items [0, item] have run, when there is one group.
  int64_t rowsDoneAfter(int64_t item) const {
    return std::min(g_.outH, std::min(l_.outPlane, (item + 1) * kernel_.nr) / g_.outW);
  }

  // Starts loading an image the caller will convolve next into the caches, while it works on the current
  // one: a batch's inputs have left the caches by the time they are read, and the first panel of an image
  // would otherwise wait on every line of it.
  void prefetch(const float* xImage) const {
    const int64_t floats = g_.inChannels * l_.inPlane;
    for (int64_t i = 0; i < floats; i += 16) __builtin_prefetch(xImage + i, 0, 2);
  }

  // Floats of the column panel a thread passes to run.
  size_t panelSize() const { return static_cast<size_t>(l_.kSize * kernel_.nr); }

  // Computes item `item` (< itemsPerImage) of the image xImage ([Cin, inH, inW]) into outImage
  // ([Cout, outH, outW]), using `panel` (panelSize floats) for its columns.
  void run(const float* xImage, float* outImage, int64_t item, float* panel) const {
    const int64_t q = item % columnPanels_;
    const int64_t grp = item / columnPanels_;
    const int64_t j0 = q * kernel_.nr;
    const int cols = static_cast<int>(std::min<int64_t>(kernel_.nr, l_.outPlane - j0));
    kernel_.gatherPanel(xImage + grp * l_.cinG * l_.inPlane, l_.inPlane, g_.strideW, l_.cinG, static_cast<int>(taps_),
                        plan_.runs.data(), plan_.runStart.data() + q * taps_, kernel_.nr, panel);
    const float* weights = packedW_ + grp * groupPanelsSize_;
    float* outGroup = outImage + grp * l_.coutG * l_.outPlane;
    for (int64_t p0 = 0; p0 < l_.kSize; p0 += depthBlock_) {
      const int64_t depth = std::min(depthBlock_, l_.kSize - p0);
      const bool last = p0 + depth == l_.kSize;
      for (int64_t ir = 0; ir < rowPanels_; ++ir) {
        const int rows = static_cast<int>(std::min<int64_t>(kernel_.mr, l_.coutG - ir * kernel_.mr));
        // The last pass over the depth adds the bias and applies the activation as it stores the tile.
        const TileEpilogue epilogue{bias_ == nullptr ? nullptr : bias_ + grp * l_.coutG + ir * kernel_.mr, relu_};
        kernel_.run(depth, weights + (ir * l_.kSize + p0) * kernel_.mr, panel + p0 * kernel_.nr,
                    outGroup + ir * kernel_.mr * l_.outPlane + j0, l_.outPlane, rows, cols, 1.0f,
                    p0 == 0 ? 0.0f : 1.0f, last && (bias_ != nullptr || relu_) ? &epilogue : nullptr);
      }
    }
  }

 private:
  const MicroKernel& kernel_;
  const ConvGeometry g_;
  const Layout l_;
  const float* bias_;
  const bool relu_;
  const int64_t rowPanels_, columnPanels_, groupPanelsSize_, depthBlock_, taps_;
  const PanelPlan& plan_;
  float* packedW_;
};

// Convolutions with at most this many taps (input channels times kernel taps) run on the family's direct
// kernel when it has one: a 3 × 3 kernel over one or three channels has 9 or 27.
constexpr int64_t kDirectMaxTaps = 32;

// The direct kernel's view of a convolution: stride 1, no dilation, one group, few taps. Images are padded
// into a scratch copy first when the geometry pads them.
class DirectPass {
 public:
  static bool applies(const MicroKernel& kernel, const ConvGeometry& g) {
    return kernel.directConv != nullptr && g.groups == 1 && g.strideH == 1 && g.strideW == 1 && g.dilationH == 1 &&
           g.dilationW == 1 && g.inChannels * g.kernelH * g.kernelW <= kDirectMaxTaps;
  }

  DirectPass(const MicroKernel& kernel, const ConvGeometry& g, const float* w, const float* bias, Activation activation)
      : kernel_(kernel), g_(g) {
    // The padded input covers every tap of every output position.
    paddedH_ = std::max(g.inH + g.padTop, g.outH + g.kernelH - 1);
    paddedW_ = std::max(g.inW + g.padLeft, g.outW + g.kernelW - 1);
    padded_ = g.padTop != 0 || g.padLeft != 0 || paddedH_ != g.inH || paddedW_ != g.inW;
    const int64_t inputPlane = padded_ ? paddedH_ * paddedW_ : g.inH * g.inW;
    for (int64_t c = 0; c < g.inChannels; ++c) {
      for (int64_t kh = 0; kh < g.kernelH; ++kh) {
        for (int64_t kw = 0; kw < g.kernelW; ++kw) {
          offsets_[static_cast<size_t>(taps_++)] = static_cast<int32_t>(c * inputPlane + kh * (padded_ ? paddedW_ : g.inW) + kw);
        }
      }
    }
    image_ = DirectConvImage{nullptr, padded_ ? paddedW_ : g.inW, offsets_, taps_, w, bias,
                             g.outChannels, g.outH, g.outW, activation == Activation::kRelu, false, nullptr};
  }

  // Convolves image xImage ([Cin, inH, inW]) into out ([Cout, outH, outW], or pooled 2 × 2 when poolPairs).
  void run(const float* xImage, float* out, bool poolPairs) const {
    DirectConvImage image = image_;
    image.x = padded_ ? padInto(xImage) : xImage;
    image.out = out;
    image.poolPairs = poolPairs;
    kernel_.directConv(image);
  }

 private:
  // The image with its zero padding, in the calling thread's scratch.
  const float* padInto(const float* xImage) const {
    float* copy = paddedScratch(static_cast<size_t>(g_.inChannels * paddedH_ * paddedW_));
    std::fill(copy, copy + g_.inChannels * paddedH_ * paddedW_, 0.0f);
    for (int64_t c = 0; c < g_.inChannels; ++c) {
      for (int64_t h = 0; h < g_.inH && g_.padTop + h < paddedH_; ++h) {
        const float* src = xImage + (c * g_.inH + h) * g_.inW;
        const int64_t width = std::min(g_.inW, paddedW_ - g_.padLeft);
        std::copy(src, src + width, copy + (c * paddedH_ + g_.padTop + h) * paddedW_ + g_.padLeft);
      }
    }
    return copy;
  }

  static float* paddedScratch(size_t size) {
    static thread_local AlignedBuffer buffer;
    return buffer.reserve(size);
  }

  const MicroKernel& kernel_;
  const ConvGeometry g_;
  int64_t paddedH_ = 0, paddedW_ = 0;
  bool padded_ = false;
  int32_t offsets_[kDirectMaxTaps] = {};
  int taps_ = 0;
  DirectConvImage image_{};
};

// Whether a convolution and its pooling run as a Winograd F(2 × 2, 3 × 3) convolution: a 3 × 3 kernel at
// stride 1 over unpadded images, pooled 2 × 2 at stride 2 (each window one output tile), with more taps than
// the direct kernel takes, in a family that has it.
bool winogradApplies(const MicroKernel& kernel, const ConvGeometry& g, const PoolGeometry& pg) {
  return kernel.winogradTiles != nullptr && g.kernelH == 3 && g.kernelW == 3 && g.strideH == 1 && g.strideW == 1 &&
         g.dilationH == 1 && g.dilationW == 1 && g.groups == 1 && g.padTop == 0 && g.padLeft == 0 &&
         g.outH == g.inH - 2 && g.outW == g.inW - 2 && g.inChannels * 9 > kDirectMaxTaps && isPairPooling(pg);
}

// Runs runImages(first, last) over the batch, spread over the threads when there are enough images.
template <typename RunImages>
void forEachImageRange(ThreadPool& pool, int64_t batch, const RunImages& runImages) {
  const bool byImages = pool.threads() > 1 && !ThreadPool::insideTask() && batch >= pool.threads();
  const int64_t parts = byImages ? std::min<int64_t>(batch, 16 * pool.threads()) : 1;
  if (parts == 1) return runImages(0, batch);
  pool.parallelFor(parts, [&](int64_t part) { runImages(batch * part / parts, batch * (part + 1) / parts); });
}

// Runs task(image, group) for every pair, spread over images and groups or one after another.
template <typename Task>
void forEachImageAndGroup(ThreadPool& pool, const ConvGeometry& g, const Task& task) {
  const int64_t tasks = g.batch * g.groups;
  if (splitOverImages(pool, tasks)) {
    pool.parallelFor(tasks, [&](int64_t t) { task(t / g.groups, t % g.groups); });
  } else {
    for (int64_t t = 0; t < tasks; ++t) task(t / g.groups, t % g.groups);
  }
}

}  // namespace

void conv2dForward(const MicroKernel& kernel, ThreadPool& pool, const ConvGeometry& g, const float* x, const float* w,
                   const float* bias, Activation activation, float* out) {
  const Layout l = layoutOf(g);
  if (g.batch == 0 || l.coutG == 0 || l.outPlane == 0) return;
  if (l.kSize == 0) return biasOnly(g, bias, activation, out);
  if (DirectPass::applies(kernel, g)) {
    const DirectPass direct(kernel, g, w, bias, activation);
    return forEachImageRange(pool, g.batch, [&](int64_t first, int64_t last) {
      for (int64_t n = first; n < last; ++n) {
        direct.run(x + n * g.inChannels * l.inPlane, out + n * g.outChannels * l.outPlane, false);
      }
    });
  }
  const ForwardPass pass(kernel, g, w, bias, activation);
  const int64_t items = g.batch * pass.itemsPerImage();
  const auto runItems = [&](int64_t first, int64_t last) {
    float* panel = columnScratch(pass.panelSize());
    for (int64_t item = first; item < last; ++item) {
      const int64_t n = item / pass.itemsPerImage();
      const int64_t itemOfImage = item % pass.itemsPerImage();
      if (itemOfImage == 0 && item + pass.itemsPerImage() < last) pass.prefetch(x + (n + 1) * g.inChannels * l.inPlane);
      pass.run(x + n * g.inChannels * l.inPlane, out + n * g.outChannels * l.outPlane, itemOfImage, panel);
    }
  };
  // Contiguous runs of items keep each thread on the same images; a few runs per thread let an idle thread
  // take over the work of one the OS has descheduled.
  const int64_t work = g.batch * g.outChannels * l.outPlane * l.kSize;
  const bool split = pool.threads() > 1 && !ThreadPool::insideTask() && work >= kParallelMinWork &&
                     (g.batch >= pool.threads() || work >= kSplitImageMinWork);
  const int64_t parts = split ? std::min<int64_t>(items, 4 * pool.threads()) : 1;
  if (parts == 1) return runItems(0, items);
  pool.parallelFor(parts, [&](int64_t part) { runItems(items * part / parts, items * (part + 1) / parts); });
}

void conv2dMaxPool(const MicroKernel& kernel, ThreadPool& pool, const ConvGeometry& g, const PoolGeometry& pg,
                   const float* x, const float* w, const float* bias, Activation activation, float* out) {
  const Layout l = layoutOf(g);
  if (g.batch == 0 || g.outChannels == 0) return;
  const int64_t pooledImage = g.outChannels * pg.outH * pg.outW;
  const bool threaded = pool.threads() > 1 && !ThreadPool::insideTask();
  const bool byImages = threaded && g.batch >= pool.threads();
  if (l.coutG != 0 && winogradApplies(kernel, g, pg)) {
    float* weights = weightScratch(static_cast<size_t>(winogradWeightsSize(kernel, g.outChannels, g.inChannels)));
    kernel.winogradWeights(kernel, w, g.outChannels, g.inChannels, weights);
    const WinogradPooling conv{x, g.inChannels, g.inH, g.inW, weights, bias, activation == Activation::kRelu,
                               g.outChannels, pg.outH, pg.outW, out};
    // Whole B panels of tiles are shared out.
    const int64_t tiles = g.batch * pg.outH * pg.outW;
    const int64_t panels = (tiles + kernel.nr - 1) / kernel.nr;
    const auto runPanels = [&](int64_t firstPanel, int64_t lastPanel) {
      kernel.winogradTiles(kernel, conv, firstPanel * kernel.nr, std::min(tiles, lastPanel * kernel.nr));
    };
    const bool split = threaded && panels >= pool.threads() &&
                       tiles * 16 * g.inChannels * g.outChannels >= kParallelMinWork;
    const int64_t parts = split ? std::min<int64_t>(panels, 16 * pool.threads()) : 1;
    if (parts == 1) return runPanels(0, panels);
    pool.parallelFor(parts, [&](int64_t part) { runPanels(panels * part / parts, panels * (part + 1) / parts); });
    return;
  }
  const bool byPanels = threaded && !byImages && g.batch * g.outChannels * l.outPlane * l.kSize >= kSplitImageMinWork;
  if (l.kSize == 0 || l.coutG == 0 || byPanels) {
    // Too few images to share out but large ones: the convolution and then the pooling each spread over
    // the threads.
    float* convolved = fusedScratch(static_cast<size_t>(g.batch * g.outChannels * l.outPlane));
    conv2dForward(kernel, pool, g, x, w, bias, activation, convolved);
    return maxPool2d(kernel, pool, pg, convolved, out, nullptr);
  }
  if (DirectPass::applies(kernel, g)) {
    // The direct kernel pools pairs of rows in registers; other poolings read its output from scratch.
    const DirectPass direct(kernel, g, w, bias, activation);
    const bool pairs = isPairPooling(pg);
    return forEachImageRange(pool, g.batch, [&](int64_t first, int64_t last) {
      float* convolved = pairs ? nullptr : imageScratch(static_cast<size_t>(g.outChannels * l.outPlane));
      for (int64_t n = first; n < last; ++n) {
        const float* xImage = x + n * g.inChannels * l.inPlane;
        if (pairs) {
          direct.run(xImage, out + n * pooledImage, true);
        } else {
          direct.run(xImage, convolved, false);
          maxPoolPlanes(kernel, pg, convolved, g.outChannels, out + n * pooledImage);
        }
      }
    });
  }
  const ForwardPass pass(kernel, g, w, bias, activation);
  const bool incremental = g.groups == 1 && isPairPooling(pg);
  const auto runImages = [&](int64_t first, int64_t last) {
    float* panel = columnScratch(pass.panelSize());
    float* convolved = imageScratch(static_cast<size_t>(g.outChannels * l.outPlane));
    for (int64_t n = first; n < last; ++n) {
      if (n + 1 < last) pass.prefetch(x + (n + 1) * g.inChannels * l.inPlane);
      float* pooled = out + n * pooledImage;
      int64_t pooledRows = 0;
      for (int64_t item = 0; item < pass.itemsPerImage(); ++item) {
        pass.run(x + n * g.inChannels * l.inPlane, convolved, item, panel);
        if (!incremental) continue;
        // Pairs of output rows are pooled as soon as they are complete, while they are still in cache.
        const int64_t ready = std::min(pg.outH, pass.rowsDoneAfter(item) / 2);
        if (ready == pooledRows) continue;
        kernel.maxPoolPairs(convolved + 2 * pooledRows * g.outW, g.outChannels, l.outPlane, g.outW, ready - pooledRows,
                            pg.outW, pooled + pooledRows * pg.outW, pg.outH * pg.outW);
        pooledRows = ready;
      }
      if (!incremental) maxPoolPlanes(kernel, pg, convolved, g.outChannels, pooled);
    }
  };
  forEachImageRange(pool, g.batch, runImages);
}

void conv2dBackwardInput(const MicroKernel& kernel, ThreadPool& pool, const ConvGeometry& g, const float* dy,
                         const float* w, float* dx) {
  const Layout l = layoutOf(g);
  const TapRanges taps = tapRanges(g);
  forEachImageAndGroup(pool, g, [&](int64_t n, int64_t grp) {
    float* dxImage = dx + (n * g.inChannels + grp * l.cinG) * l.inPlane;
    const MatrixRef wT{w + grp * l.coutG * l.kSize, l.kSize, true};
    const MatrixRef dyImage{dy + (n * g.outChannels + grp * l.coutG) * l.outPlane, l.outPlane, false};
    if (l.direct) {
      gemm(kernel, pool, l.kSize, l.outPlane, l.coutG, 1.0f, wT, dyImage, 0.0f, dxImage, l.outPlane);
      return;
    }
    float* dcol = columnScratch(static_cast<size_t>(l.kSize * l.outPlane));
    gemm(kernel, pool, l.kSize, l.outPlane, l.coutG, 1.0f, wT, dyImage, 0.0f, dcol, l.outPlane);
    col2im(g, taps, l.cinG, dcol, dxImage);
  });
}

void conv2dBackwardWeight(const MicroKernel& kernel, ThreadPool& pool, const ConvGeometry& g, const float* x,
                          const float* dy, float* dw) {
  const Layout l = layoutOf(g);
  const TapRanges taps = tapRanges(g);
  const int64_t dwSize = g.outChannels * l.kSize;
  std::fill(dw, dw + dwSize, 0.0f);
  // dw_g (coutG × kSize) = Σ_images dy_g · colᵀ. With few kernel taps (a first layer on one input channel
  // has 9) the micro-kernel's wide column tiles would be mostly padding, so when it wastes less the
  // transposed product dw_gᵀ = col · dy_gᵀ is computed instead and transposed at the end.
  const auto padded = [](int64_t size, int64_t tile) { return (size + tile - 1) / tile * tile; };
  const bool transposed = padded(l.kSize, kernel.mr) * padded(l.coutG, kernel.nr) <
                          padded(l.coutG, kernel.mr) * padded(l.kSize, kernel.nr);
  // Adds the gradient of images [first, last) into acc, shaped like dw (or like its per-group transpose).
  const auto accumulate = [&](int64_t first, int64_t last, float* acc) {
    for (int64_t n = first; n < last; ++n) {
      for (int64_t grp = 0; grp < g.groups; ++grp) {
        const float* xImage = x + (n * g.inChannels + grp * l.cinG) * l.inPlane;
        const float* columns = xImage;
        if (!l.direct) {
          float* col = columnScratch(static_cast<size_t>(l.kSize * l.outPlane));
          im2col(g, taps, l.cinG, xImage, col);
          columns = col;
        }
        const float* dyImage = dy + (n * g.outChannels + grp * l.coutG) * l.outPlane;
        float* accGroup = acc + grp * l.coutG * l.kSize;
        if (transposed) {
          gemm(kernel, pool, l.kSize, l.coutG, l.outPlane, 1.0f, MatrixRef{columns, l.outPlane, false},
               MatrixRef{dyImage, l.outPlane, true}, 1.0f, accGroup, l.coutG);
        } else {
          gemm(kernel, pool, l.coutG, l.kSize, l.outPlane, 1.0f, MatrixRef{dyImage, l.outPlane, false},
               MatrixRef{columns, l.outPlane, true}, 1.0f, accGroup, l.kSize);
        }
      }
    }
  };
  // Each part of the batch sums into its own buffer; the buffers are added into dw in a fixed order, so
  // results do not depend on timing. A few parts per thread let an idle thread take over the work of one
  // that the OS has descheduled.
  const int64_t parts = splitOverImages(pool, g.batch) ? std::min<int64_t>(g.batch, 4 * pool.threads()) : 1;
  const bool inPlace = parts == 1 && !transposed;
  std::vector<float> partials(static_cast<size_t>(inPlace ? 0 : parts * dwSize), 0.0f);
  if (inPlace) {
    accumulate(0, g.batch, dw);
    return;
  }
  pool.parallelFor(parts, [&](int64_t part) {
    accumulate(g.batch * part / parts, g.batch * (part + 1) / parts, partials.data() + part * dwSize);
  });
  for (int64_t part = 0; part < parts; ++part) {
    const float* partial = partials.data() + part * dwSize;
    if (!transposed) {
      for (int64_t i = 0; i < dwSize; ++i) dw[i] += partial[i];
      continue;
    }
    for (int64_t grp = 0; grp < g.groups; ++grp) {
      const float* source = partial + grp * l.coutG * l.kSize;
      float* target = dw + grp * l.coutG * l.kSize;
      for (int64_t oc = 0; oc < l.coutG; ++oc) {
        for (int64_t k = 0; k < l.kSize; ++k) target[oc * l.kSize + k] += source[k * l.coutG + oc];
      }
    }
  }
}

}  // namespace kiln
