// strata/mutex.h — a mutex clang's thread-safety analysis understands
// (libstdc++'s std::mutex carries no annotations), its scoped lock, and a
// condition variable that waits on it; LevelDB's port/port_stdcxx.h.
//
//   Mutex mu_;
//   int count_ GUARDED_BY(mu_);
//   CondVar changed_{&mu_};
//   ...
//   MutexLock l(&mu_);
//   while (count_ == 0) changed_.Wait();
//
// Waits are written as loops over the condition (as above), not as
// predicates: clang analyses a lambda apart from its caller, so a
// predicate reading guarded state would not see the lock held.
//
// Public because net/ (which includes only public headers) uses it too.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "strata/thread_annotations.h"

namespace strata {

class CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ACQUIRE() { mu_.lock(); }
  void Unlock() RELEASE() { mu_.unlock(); }
  // Tells the analysis the caller holds it (no run-time check).
  void AssertHeld() ASSERT_CAPABILITY(this) {}

 private:
  friend class CondVar;
  std::mutex mu_;
};

// Holds a Mutex for its scope.
class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ACQUIRE(mu) : mu_(mu) { mu_->Lock(); }
  ~MutexLock() RELEASE() { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mu_;
};

// A condition variable bound to one Mutex, which every Wait requires held.
// Wakeups may be spurious: wait in a loop over the condition.
class CondVar {
 public:
  explicit CondVar(Mutex* mu) : mu_(mu) {}
  CondVar(const CondVar&) = delete;
  CondVar& operator=(const CondVar&) = delete;

  // Releases the mutex, waits for a signal, reacquires it.
  void Wait() {
    std::unique_lock<std::mutex> l(mu_->mu_, std::adopt_lock);
    cv_.wait(l);
    l.release();
  }
  // As Wait, for at most `d`; false if the time ran out.
  template <class Rep, class Period>
  bool WaitFor(std::chrono::duration<Rep, Period> d) {
    std::unique_lock<std::mutex> l(mu_->mu_, std::adopt_lock);
    const bool signalled = cv_.wait_for(l, d) == std::cv_status::no_timeout;
    l.release();
    return signalled;
  }
  // As Wait, until `deadline`; false if it passed.
  template <class Clock, class Duration>
  bool WaitUntil(std::chrono::time_point<Clock, Duration> deadline) {
    std::unique_lock<std::mutex> l(mu_->mu_, std::adopt_lock);
    const bool signalled = cv_.wait_until(l, deadline) == std::cv_status::no_timeout;
    l.release();
    return signalled;
  }
  void Signal() { cv_.notify_one(); }
  void SignalAll() { cv_.notify_all(); }

 private:
  Mutex* const mu_;
  std::condition_variable cv_;
};

}  // namespace strata
