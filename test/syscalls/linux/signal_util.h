// Copyright 2026 The mqsentry Authors.
//
// Licensed under the Apache License, Version 2.0 (the "License");
// you may not use this file except in compliance with the License.
// You may obtain a copy of the License at
//
//     http://www.apache.org/licenses/LICENSE-2.0
//
// Unless required by applicable law or agreed to in writing, software
// distributed under the License is distributed on an "AS IS" BASIS,
// WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
// See the License for the specific language governing permissions and
// limitations under the License.

// Signals in the syscall tests: a handler that counts, scoped handlers and
// a repeating SIGALRM to interrupt blocking calls.
#ifndef MQSENTRY_TEST_SYSCALLS_LINUX_SIGNAL_UTIL_H_
#define MQSENTRY_TEST_SYSCALLS_LINUX_SIGNAL_UTIL_H_

#include <signal.h>
#include <sys/time.h>

#include <atomic>

#include "gtest/gtest.h"

namespace mqtest {

// Installs a signal handler for the lifetime of the object.
class ScopedSigaction {
 public:
  ScopedSigaction(int sig, void (*handler)(int), int flags) : sig_(sig) {
    struct sigaction sa = {};
    sa.sa_handler = handler;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    ok_ = sigaction(sig, &sa, &old_) == 0;
  }
  ScopedSigaction(const ScopedSigaction&) = delete;
  ScopedSigaction& operator=(const ScopedSigaction&) = delete;
  ~ScopedSigaction() {
    if (ok_) sigaction(sig_, &old_, nullptr);
  }
  bool ok() const { return ok_; }

 private:
  int sig_;
  bool ok_;
  struct sigaction old_;
};

// The number of signals CountSignal has handled (lock-free, so safe to
// update in a handler).
inline std::atomic<int> g_signals{0};
inline void CountSignal(int) { g_signals++; }

// Installs CountSignal for SIGALRM with SA_RESTART and starts a repeating
// 50 ms ITIMER_REAL, so that whichever blocking call follows gets
// interrupted; use in ASSERT_NO_FATAL_FAILURE, in a forked child (the
// handler stays).
inline void ArmRestartingAlarm() {
  struct sigaction sa = {};
  sa.sa_handler = CountSignal;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  ASSERT_EQ(sigaction(SIGALRM, &sa, nullptr), 0);
  struct itimerval it = {{0, 50000}, {0, 50000}};
  ASSERT_EQ(setitimer(ITIMER_REAL, &it, nullptr), 0);
}

inline void DisarmAlarm() {
  struct itimerval off = {};
  setitimer(ITIMER_REAL, &off, nullptr);
}

}  // namespace mqtest

#endif  // MQSENTRY_TEST_SYSCALLS_LINUX_SIGNAL_UTIL_H_
