// A small fork-join thread pool for the kernels: the calling thread takes part in every job, so
// `threads = 1` means no worker threads at all.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace kiln {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // Threads a job may use, the caller included.
  int threads() const { return static_cast<int>(workers_.size()) + 1; }

  // Stops the workers and starts `threads - 1` new ones; waits for a running job to finish first.
  void resize(int threads);

  // Runs task(i) for every i in [0, count), spread over the pool, and returns when all are done; the
  // first exception a task throws is rethrown here. A call made from inside a task, or while another
  // thread's job holds the pool (an async kernel next to a sync one), runs its tasks inline instead of
  // waiting, so nesting never deadlocks.
  void parallelFor(int64_t count, const std::function<void(int64_t)>& task);

  // True on a thread that is running a task, where parallelFor runs inline: kernels use it to skip
  // splitting work that could not spread anyway.
  static bool insideTask();

 private:
  void startWorkers(int count);
  void stopWorkers();
  void workerLoop();
  // Claims and runs tasks of the current job until none are left.
  void drainTasks();

  std::vector<std::thread> workers_;
  // Held by the thread whose job is running; try-locked so a second caller runs inline.
  std::mutex jobMutex_;
  std::mutex wakeMutex_;
  std::condition_variable wake_;
  // Bumped for each new job; workers watch it to learn that there is work.
  std::atomic<uint64_t> generation_{0};
  std::atomic<bool> stopping_{false};
  // Whether workers may still join the current job (guarded by wakeMutex_).
  bool open_ = false;
  const std::function<void(int64_t)>* task_ = nullptr;
  int64_t count_ = 0;
  std::atomic<int64_t> next_{0};
  std::atomic<int64_t> finished_{0};
  // Workers still inside the current job; the caller waits for zero so the job's state can be reused.
  std::atomic<int> busyWorkers_{0};
  std::mutex errorMutex_;
  std::exception_ptr error_;
};

}  // namespace kiln
