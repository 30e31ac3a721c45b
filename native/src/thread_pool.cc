#include "thread_pool.h"

#include <chrono>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace kiln {
namespace {

// True on a thread that is running tasks of a job, so a kernel called from a task runs inline.
thread_local bool insideJob = false;

// Kernels of a training step come back to back, and a condition-variable wake-up costs tens of
// microseconds, so idle workers poll this long before they sleep.
constexpr auto kSpinTime = std::chrono::microseconds(200);

inline void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#else
  std::this_thread::yield();
#endif
}

void runInline(int64_t count, const std::function<void(int64_t)>& task) {
  for (int64_t i = 0; i < count; ++i) task(i);
}

}  // namespace

bool ThreadPool::insideTask() { return insideJob; }

ThreadPool::ThreadPool(int threads) { startWorkers(threads - 1); }

ThreadPool::~ThreadPool() { stopWorkers(); }

void ThreadPool::resize(int threads) {
  std::lock_guard<std::mutex> jobLock(jobMutex_);
  stopWorkers();
  startWorkers(threads - 1);
}

void ThreadPool::startWorkers(int count) {
  stopping_ = false;
  for (int i = 0; i < count; ++i) workers_.emplace_back([this] { workerLoop(); });
}

void ThreadPool::stopWorkers() {
  {
    std::lock_guard<std::mutex> lock(wakeMutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& worker : workers_) worker.join();
  workers_.clear();
}

void ThreadPool::parallelFor(int64_t count, const std::function<void(int64_t)>& task) {
  if (count <= 0) return;
  if (count == 1 || workers_.empty() || insideJob || !jobMutex_.try_lock()) {
    runInline(count, task);
    return;
  }
  std::lock_guard<std::mutex> jobLock(jobMutex_, std::adopt_lock);
  {
    std::lock_guard<std::mutex> lock(wakeMutex_);
    task_ = &task;
    count_ = count;
    next_ = 0;
    finished_ = 0;
    error_ = nullptr;
    open_ = true;
    generation_.fetch_add(1, std::memory_order_release);
  }
  wake_.notify_all();
  insideJob = true;
  drainTasks();
  insideJob = false;
  while (finished_.load(std::memory_order_acquire) < count) cpuRelax();
  // Closing the job under the lock means no worker can join it late; those already in it are leaving.
  {
    std::lock_guard<std::mutex> lock(wakeMutex_);
    open_ = false;
  }
  while (busyWorkers_.load(std::memory_order_acquire) > 0) cpuRelax();
  if (error_) std::rethrow_exception(error_);
}

void ThreadPool::drainTasks() {
  for (;;) {
    const int64_t i = next_.fetch_add(1, std::memory_order_acq_rel);
    if (i >= count_) return;
    try {
      (*task_)(i);
    } catch (...) {
      std::lock_guard<std::mutex> lock(errorMutex_);
      if (!error_) error_ = std::current_exception();
    }
    finished_.fetch_add(1, std::memory_order_release);
  }
}

void ThreadPool::workerLoop() {
  uint64_t seen = generation_.load(std::memory_order_acquire);
  for (;;) {
    const auto spinStart = std::chrono::steady_clock::now();
    for (int polls = 0; generation_.load(std::memory_order_acquire) == seen && !stopping_; ++polls) {
      cpuRelax();
      if (polls % 64 == 0 && std::chrono::steady_clock::now() - spinStart > kSpinTime) {
        std::unique_lock<std::mutex> lock(wakeMutex_);
        wake_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen || stopping_; });
      }
    }
    {
      std::lock_guard<std::mutex> lock(wakeMutex_);
      if (stopping_) return;
      seen = generation_.load(std::memory_order_acquire);
      if (!open_) continue;
      busyWorkers_.fetch_add(1, std::memory_order_acq_rel);
    }
    insideJob = true;
    drainTasks();
    insideJob = false;
    busyWorkers_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

}  // namespace kiln
